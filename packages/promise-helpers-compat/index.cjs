// The CommonJS twin of index.js.
'use strict';
const helpers = require('promise-helpers-v2');

module.exports = {
  ...helpers,
  mapMaybePromise(input, onSuccess, onError) {
    return helpers.handleMaybePromise(() => input, onSuccess, onError);
  },
};
