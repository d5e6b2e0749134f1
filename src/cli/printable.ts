/**
 * Text from the data (file names, reasons) as the terminal may show it: C0 control characters,
 * DEL and the C1 range written as `\x1b`-style escapes, so a file name cannot move the cursor,
 * recolour the screen or ring the bell. Tabs stay.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
