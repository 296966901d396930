// Tests are compiled by tsc first (`npm test`); AVA runs the JavaScript output.
// LWM2M_DIST lets a second build directory be tested without touching dist/.
const dist = process.env.LWM2M_DIST ?? 'dist';
export default {
  files: [`${dist}/test/**/*.test.js`],
  timeout: '120s',
  concurrency: 2,
  workerThreads: false,
};
