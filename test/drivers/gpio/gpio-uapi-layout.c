/* Prints the kernel's GPIO uAPI v2 layout from <linux/gpio.h> as JSON: the ioctl numbers, struct sizes,
 * field offsets and flag values that drivers/gpio/line-server.py spells out by hand. The line server's
 * test compares the two, so a slip in the hand-written layout fails here and not on a farmer's Pi. */
#include <linux/gpio.h>
#include <stddef.h>
#include <stdio.h>

int main(void) {
  printf("{");
  printf("\"NAME_SIZE\": %d, \"LINES_MAX\": %d, \"ATTRS_MAX\": %d, ", GPIO_MAX_NAME_SIZE, GPIO_V2_LINES_MAX,
         GPIO_V2_LINE_NUM_ATTRS_MAX);
  printf("\"CHIPINFO_SIZE\": %zu, \"LINEINFO_SIZE\": %zu, \"CONFIG_SIZE\": %zu, ", sizeof(struct gpiochip_info),
         sizeof(struct gpio_v2_line_info), sizeof(struct gpio_v2_line_config));
  printf("\"REQUEST_SIZE\": %zu, \"VALUES_SIZE\": %zu, ", sizeof(struct gpio_v2_line_request),
         sizeof(struct gpio_v2_line_values));
  printf("\"REQ_CONSUMER\": %zu, \"REQ_CONFIG\": %zu, \"REQ_NUM_LINES\": %zu, \"REQ_FD\": %zu, ",
         offsetof(struct gpio_v2_line_request, consumer), offsetof(struct gpio_v2_line_request, config),
         offsetof(struct gpio_v2_line_request, num_lines), offsetof(struct gpio_v2_line_request, fd));
  printf("\"CFG_NUM_ATTRS\": %zu, \"CFG_ATTRS\": %zu, \"CFG_ATTR_SIZE\": %zu, ",
         offsetof(struct gpio_v2_line_config, num_attrs), offsetof(struct gpio_v2_line_config, attrs),
         sizeof(struct gpio_v2_line_config_attribute));
  printf("\"CHIPINFO_LINES\": %zu, \"LINEINFO_OFFSET\": %zu, \"LINEINFO_FLAGS\": %zu, ",
         offsetof(struct gpiochip_info, lines), offsetof(struct gpio_v2_line_info, offset),
         offsetof(struct gpio_v2_line_info, flags));
  printf("\"FLAG_USED\": %llu, \"FLAG_INPUT\": %llu, \"FLAG_OUTPUT\": %llu, ",
         (unsigned long long)GPIO_V2_LINE_FLAG_USED, (unsigned long long)GPIO_V2_LINE_FLAG_INPUT,
         (unsigned long long)GPIO_V2_LINE_FLAG_OUTPUT);
  printf("\"BIAS_PULL_UP\": %llu, \"BIAS_PULL_DOWN\": %llu, \"BIAS_DISABLED\": %llu, ",
         (unsigned long long)GPIO_V2_LINE_FLAG_BIAS_PULL_UP, (unsigned long long)GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
         (unsigned long long)GPIO_V2_LINE_FLAG_BIAS_DISABLED);
  printf("\"ATTR_OUTPUT_VALUES\": %d, ", GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES);
  printf("\"GET_CHIPINFO\": %lu, \"GET_LINEINFO\": %lu, \"GET_LINE\": %lu, ", (unsigned long)GPIO_GET_CHIPINFO_IOCTL,
         (unsigned long)GPIO_V2_GET_LINEINFO_IOCTL, (unsigned long)GPIO_V2_GET_LINE_IOCTL);
  printf("\"LINE_GET_VALUES\": %lu, \"LINE_SET_VALUES\": %lu", (unsigned long)GPIO_V2_LINE_GET_VALUES_IOCTL,
         (unsigned long)GPIO_V2_LINE_SET_VALUES_IOCTL);
  printf("}\n");
  return 0;
}
