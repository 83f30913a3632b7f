// Node-RED loads node files with require(); the node itself is an ES module compiled from TypeScript
// (src/command-node.ts, built into lib/ by `npm run build`). Node-RED waits for the returned promise.
module.exports = function (RED) {
  return import('../lib/flows/nodes/src/command-node.js').then(
    (m) => m.default(RED),
    (err) => {
      if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/lib/flows/nodes/'))
        throw new Error(
          `smart-tank nodes are not built: run \`npm run build\` in ${require('node:path').resolve(__dirname, '..')}`,
        );
      throw err;
    },
  );
};
