// Library use from the built package, exactly as an application imports it.
// Run from the repository root after `npm run build`: node examples/quickstart.mjs
import { UserDataTransformer, createLocalStore } from 'user-data-transformer';

const transformer = new UserDataTransformer({
  store: createLocalStore({ root: process.argv[2] ?? '.' }),
  sourcePrefix: 'data/',
});

const report = await transformer.sync({
  onProgress: ({ phase, done, total }) => phase === 'downloading' && done === total && console.error(`downloaded ${total} files`),
});
const adultsWithPhoto = transformer.aggregate({ imageExists: true, minAge: 30, maxAge: 60 });

console.log(
  JSON.stringify({
    users: report.users,
    failed: report.failed,
    matching: adultsWithPhoto.shape[0],
    columns: adultsWithPhoto.columns,
    stats: transformer.averageAge({ imageExists: true, minAge: 30, maxAge: 60 }),
    firstRows: transformer.query({ columns: ['user_id', 'first_name'] }).slice(0, 3),
  }),
);
