/**
 * The composition root (shared/composition/services.ts, `buildDeps`) is imported by the entry
 * points only: a domain module that imported it would see every service, and the
 * flows that span services belong in shared/provisioning instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

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

test('no module under shared/ imports the composition root (shared/composition/services.ts)', () => {
  const root = join(SHARED, 'composition', 'services');
  expect(existsSync(`${root}.ts`)).toBe(true);
  const files = sourceFiles(SHARED).filter((f) => f !== `${root}.ts`);
  expect(files.length).toBeGreaterThan(50);
  const offenders = files.flatMap((f) =>
    importsOf(f)
      .filter((spec) => spec.startsWith('.') && join(f, '..', spec) === root)
      .map((spec) => `${relative(SHARED, f)} imports ${spec}`),
  );
  expect(offenders).toEqual([]);
});

/** The file a relative import names (`./x` → x.ts, x.tsx or x/index.ts[x]). */
function resolved(from: string, spec: string): string | undefined {
  const base = join(dirname(from), spec);
  return [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')].find(existsSync);
}

test('no module under shared/ imports from a folder above it (each room depends sideways or down, never on its parent)', () => {
  const files = sourceFiles(SHARED);
  const offenders = files.flatMap((f) =>
    importsOf(f)
      .filter((spec) => spec.startsWith('.'))
      .filter((spec) => {
        const target = resolved(f, spec);
        const folder = target && dirname(target);
        return folder !== undefined && folder !== dirname(f) && dirname(f).startsWith(folder + sep);
      })
      .map((spec) => `${relative(SHARED, f)} imports ${spec}`),
  );
  expect(offenders).toEqual([]);
});
