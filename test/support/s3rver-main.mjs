// Runs s3rver on loopback in this process and prints `{"port":N}` on stdout once it listens.
// Started as a child process with NODE_OPTIONS=--openssl-legacy-provider: s3rver's continuation
// tokens use a DES cipher, which OpenSSL 3 only offers through the legacy provider, so listings
// past 1000 keys fail without it.
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) {
  console.error('usage: s3rver-main.mjs <directory>');
  process.exit(2);
}
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
