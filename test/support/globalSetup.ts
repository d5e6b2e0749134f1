import type { TestProject } from 'vitest/node';
import { startS3Server } from './s3server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
  }
}

/** One S3-protocol server for the whole run; each test file works in buckets of its own. */
export default async function setup(project: TestProject) {
  const server = await startS3Server();
  project.provide('s3Endpoint', server.endpoint);
  return () => server.stop();
}
