// Types for docs-render.mjs, which stays plain JavaScript so `npm run docs` runs with bare `node`.
import type { z } from 'zod';

/** What the renderers read from the service's entry point (`dist/service/index.js` or `src/service/index.ts`). */
export interface ServiceEntry {
  ENV_SCHEMA: z.ZodObject;
  buildOpenApiDocument(version: string, routes?: readonly unknown[]): Record<string, unknown>;
}

export declare const ROOT: string;
export declare const START_MARKER: string;
export declare const END_MARKER: string;
export declare const GENERATED_PAGES: readonly { page: string; render: (service: ServiceEntry) => string }[];
export declare function loadService(): Promise<ServiceEntry & Record<string, unknown>>;
export declare function acceptedValues(schema: z.ZodType): string | null;
export declare function defaultOf(schema: z.ZodType): string;
export declare function renderEnvironment(envSchema: z.ZodObject): string;
export declare function renderEndpoints(document: Record<string, unknown>): string;
export declare function replaceSection(text: string, body: string, page?: string): string;
export declare function formatMarkdown(text: string, file: string): Promise<string>;
export declare function regenerate(page: string, service: ServiceEntry): Promise<string>;
