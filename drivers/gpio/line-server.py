#!/usr/bin/python3
# The GPIO line server: one long-lived process that holds the daemon's GPIO lines through the kernel's
# character device (uAPI v2, Linux 5.10+) and reads or writes them when asked: no process per relay
# switch or probe sample. Python's standard library only (fcntl.ioctl, struct): no libgpiod, so the same
# file serves Bookworm (libgpiod 1.6) and Trixie (libgpiod 2), whose C libraries differ. Run by
# drivers/gpio/line-server.ts as `python3 -I -S -B line-server.py --dev /dev --consumer smart-tank`.
#
# Protocol: one JSON object per line. At start it prints {"ready": true, "protocol": 1, "chips": [...]},
# then answers each request in order with {"id": N, "ok": true, ...} or {"id": N, "ok": false, "code":
# "EBUSY", "error": "..."}. Requests: request (chip, offsets, direction input|output, values, bias),
# get (handle), set (handle, values; answered with the levels read back), release (handle). It exits at
# the end of its input: the kernel then frees every line it held.

import errno
import fcntl
import json
import os
import struct
import sys

PROTOCOL = 1

# <linux/gpio.h>, uAPI v2. Sizes are the kernel's structs (checked against the header by the tests).
NAME_SIZE = 32
LINES_MAX = 64
ATTRS_MAX = 10
CHIPINFO_SIZE = 68  # struct gpiochip_info
LINEINFO_SIZE = 256  # struct gpio_v2_line_info
CONFIG_SIZE = 272  # struct gpio_v2_line_config
REQUEST_SIZE = 592  # struct gpio_v2_line_request
VALUES_SIZE = 16  # struct gpio_v2_line_values

CHIPINFO_LINES = 64  # gpiochip_info.lines (after name and label)
LINEINFO_OFFSET = 64  # gpio_v2_line_info.offset (after name and consumer)
LINEINFO_FLAGS = 72  # gpio_v2_line_info.flags
# Offsets inside struct gpio_v2_line_request
REQ_CONSUMER = 256
REQ_CONFIG = 288
REQ_NUM_LINES = 560
REQ_FD = 588
# Inside struct gpio_v2_line_config: flags (u64), num_attrs (u32), padding, then the attributes
CFG_NUM_ATTRS = 8
CFG_ATTRS = 32
CFG_ATTR_SIZE = 24  # struct gpio_v2_line_config_attribute: attribute (id, padding, value) + mask

FLAG_USED = 1 << 0
FLAG_INPUT = 1 << 2
FLAG_OUTPUT = 1 << 3
BIAS_PULL_UP = 1 << 8
BIAS_PULL_DOWN = 1 << 9
BIAS_DISABLED = 1 << 10
BIAS_FLAGS = {"pull-up": BIAS_PULL_UP, "pull-down": BIAS_PULL_DOWN, "disabled": BIAS_DISABLED, "as-is": 0}
ATTR_OUTPUT_VALUES = 2


def ioc(direction, nr, size):
    # _IOC on ARM, arm64 and x86 (asm-generic): direction 2 bits, size 14 bits, type 0xB4, number.
    return (direction << 30) | (size << 16) | (0xB4 << 8) | nr


READ, READ_WRITE = 2, 3
GET_CHIPINFO = ioc(READ, 0x01, CHIPINFO_SIZE)
GET_LINEINFO = ioc(READ_WRITE, 0x05, LINEINFO_SIZE)
GET_LINE = ioc(READ_WRITE, 0x07, REQUEST_SIZE)
LINE_GET_VALUES = ioc(READ_WRITE, 0x0E, VALUES_SIZE)
LINE_SET_VALUES = ioc(READ_WRITE, 0x0F, VALUES_SIZE)


class Refused(Exception):
    """A request the server answers with an error (the process goes on)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def text(raw):
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def os_refusal(what, err):
    code = errno.errorcode.get(err.errno, "EIO")
    return Refused(code, f"{what}: {err.strerror}")


class Chips:
    """The gpiochips in DEV, opened once each on first use."""

    def __init__(self, dev):
        self.dev = dev
        self.fds = {}

    def names(self):
        try:
            found = [n for n in os.listdir(self.dev) if n.startswith("gpiochip") and n[8:].isdigit()]
        except OSError:
            return []
        return sorted(found, key=lambda n: int(n[8:]))

    def fd(self, name):
        if name not in self.fds:
            if name not in self.names():
                raise Refused("ENOENT", f"no {self.dev}/{name}")
            try:
                self.fds[name] = os.open(os.path.join(self.dev, name), os.O_RDWR | os.O_CLOEXEC)
            except OSError as err:
                raise os_refusal(f"{self.dev}/{name}", err) from None
        return self.fds[name]

    def info(self, name):
        buf = bytearray(CHIPINFO_SIZE)
        try:
            fcntl.ioctl(self.fd(name), GET_CHIPINFO, buf, True)
        except OSError as err:
            raise Refused("ENOTTY", f"not a GPIO chip ({err.strerror})") from None
        label, lines = text(buf[NAME_SIZE : 2 * NAME_SIZE]), struct.unpack_from("=I", buf, CHIPINFO_LINES)[0]
        return {"name": text(buf[:NAME_SIZE]) or name, "label": label, "lines": lines}

    def line_info(self, name, offset):
        buf = bytearray(LINEINFO_SIZE)
        struct.pack_into("=I", buf, LINEINFO_OFFSET, offset)
        fcntl.ioctl(self.fd(name), GET_LINEINFO, buf, True)
        return buf

    def consumer(self, name, offset):
        """Who holds line `offset` (None when free), for the message of a busy line."""
        try:
            buf = self.line_info(name, offset)
        except OSError:
            return None
        flags = struct.unpack_from("=Q", buf, LINEINFO_FLAGS)[0]
        return text(buf[NAME_SIZE : 2 * NAME_SIZE]) if flags & FLAG_USED else None

    def usable(self, name):
        """The chip's info, once its line 0 answers the v2 interface (Linux 5.10 and later)."""
        info = self.info(name)
        try:
            self.line_info(name, 0)
        except OSError as err:
            raise Refused("ENOTTY", f"no GPIO uAPI v2 in this kernel (Linux 5.10+): {err.strerror}") from None
        return info

    def listing(self):
        chips = []
        for name in self.names():
            try:
                chips.append(self.usable(name))
            except (OSError, Refused) as err:
                chips.append({"name": name, "error": str(err)})
        return chips


def line_bits(values):
    """A struct gpio_v2_line_values: bit i is line i of the request, the mask covers every line."""
    bits = sum(1 << i for i, v in enumerate(values) if v)
    return bits, (1 << len(values)) - 1


def request_buffer(offsets, output, values, bias, consumer):
    buf = bytearray(REQUEST_SIZE)
    struct.pack_into(f"={len(offsets)}I", buf, 0, *offsets)
    struct.pack_into(f"={NAME_SIZE}s", buf, REQ_CONSUMER, consumer.encode()[: NAME_SIZE - 1])
    flags = FLAG_OUTPUT if output else FLAG_INPUT | BIAS_FLAGS[bias]
    struct.pack_into("=Q", buf, REQ_CONFIG, flags)
    if output:
        bits, mask = line_bits(values)
        struct.pack_into("=I", buf, REQ_CONFIG + CFG_NUM_ATTRS, 1)
        struct.pack_into("=IIQQ", buf, REQ_CONFIG + CFG_ATTRS, ATTR_OUTPUT_VALUES, 0, bits, mask)
    struct.pack_into("=I", buf, REQ_NUM_LINES, len(offsets))
    return buf


class Server:
    def __init__(self, dev, consumer):
        self.chips = Chips(dev)
        self.consumer = consumer
        self.lines = {}  # handle (the line request's fd) -> (chip, offsets, output)

    def request(self, msg):
        chip, offsets = str(msg["chip"]), [int(o) for o in msg["offsets"]]
        direction, bias = msg["direction"], msg.get("bias", "as-is")
        bad = not 1 <= len(offsets) <= LINES_MAX or bias not in BIAS_FLAGS
        if bad or direction not in ("input", "output"):
            raise Refused("EINVAL", f"bad request: {len(offsets)} lines, {direction!r}, bias {bias!r}")
        output = direction == "output"
        values = [bool(v) for v in msg.get("values", [])] if output else []
        if output and len(values) != len(offsets):
            raise Refused("EINVAL", "an output request needs one value per line")
        buf = request_buffer(offsets, output, values, bias, self.consumer)
        try:
            fcntl.ioctl(self.chips.fd(chip), GET_LINE, buf, True)
        except OSError as err:
            raise self.request_refusal(chip, offsets, err) from None
        handle = struct.unpack_from("=i", buf, REQ_FD)[0]
        self.lines[handle] = (chip, offsets, output)
        return {"handle": handle}

    def request_refusal(self, chip, offsets, err):
        what = f"line{'s' if len(offsets) > 1 else ''} {','.join(map(str, offsets))} of {chip}"
        refusal = os_refusal(what, err)
        if err.errno == errno.EBUSY:
            users = [f'{o} by "{c}"' for o in offsets if (c := self.chips.consumer(chip, o)) is not None]
            if users:
                return Refused(refusal.code, f"{refusal} (used: {', '.join(users)})")
        return refusal

    def line(self, msg):
        handle = int(msg["handle"])
        if handle not in self.lines:
            raise Refused("EBADF", f"no line request {handle}")
        return handle, self.lines[handle]

    def get(self, msg):
        handle, (_, offsets, _) = self.line(msg)
        return {"values": read_values(handle, len(offsets))}

    def set(self, msg):
        handle, (chip, offsets, output) = self.line(msg)
        if not output:
            raise Refused("EPERM", f"lines {offsets} of {chip} are inputs")
        values = [bool(v) for v in msg["values"]]
        if len(values) != len(offsets):
            raise Refused("EINVAL", "set needs one value per line")
        buf = bytearray(struct.pack("=QQ", *line_bits(values)))
        try:
            fcntl.ioctl(handle, LINE_SET_VALUES, buf, True)
        except OSError as err:
            raise os_refusal(f"set {chip} {offsets}", err) from None
        return {"values": read_values(handle, len(offsets))}

    def release(self, msg):
        handle, _ = self.line(msg)
        del self.lines[handle]
        os.close(handle)
        return {}

    def answer(self, raw):
        msg_id = None
        try:
            msg = json.loads(raw)
            msg_id = msg.get("id")
            op = {"request": self.request, "get": self.get, "set": self.set, "release": self.release}
            if msg.get("op") not in op:
                raise Refused("EINVAL", f"unknown op {msg.get('op')!r}")
            return {"id": msg_id, "ok": True, **op[msg["op"]](msg)}
        except Refused as err:
            return {"id": msg_id, "ok": False, "code": err.code, "error": str(err)}
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            return {"id": msg_id, "ok": False, "code": "EINVAL", "error": f"malformed request: {err!r}"}


def read_values(handle, count):
    buf = bytearray(struct.pack("=QQ", 0, (1 << count) - 1))
    try:
        fcntl.ioctl(handle, LINE_GET_VALUES, buf, True)
    except OSError as err:
        raise os_refusal("read", err) from None
    bits = struct.unpack_from("=Q", buf, 0)[0]
    return [bool(bits >> i & 1) for i in range(count)]


def main(argv):
    args = dict(zip(argv[1::2], argv[2::2]))
    server = Server(args.get("--dev", "/dev"), args.get("--consumer", "smart-tank"))
    say({"ready": True, "protocol": PROTOCOL, "chips": server.chips.listing()})
    for raw in sys.stdin.buffer:
        if raw.strip():
            say(server.answer(raw))


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
