/**
 * The composition root (shared/services.ts, `buildDeps`) is imported by the entry
 * points only: a domain module that imported it would see every service, and the
 * flows that span services belong in shared/provisioning instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SHARED = join(__dirname, '../../shared');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The module paths a file imports (static, dynamic and type-only alike). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
}

test('no module under shared/ imports the composition root (shared/services.ts)', () => {
  const files = sourceFiles(SHARED).filter((f) => relative(SHARED, f) !== 'services.ts');
  expect(files.length).toBeGreaterThan(50);
  const offenders = files.flatMap((f) =>
    importsOf(f)
      .filter((spec) => spec.startsWith('.') && join(f, '..', spec) === join(SHARED, 'services'))
      .map((spec) => `${relative(SHARED, f)} imports ${spec}`),
  );
  expect(offenders).toEqual([]);
});
