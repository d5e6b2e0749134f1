/** The same bytes as a Buffer, without copying them (a Parquet file of a million users is 17 MB). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
