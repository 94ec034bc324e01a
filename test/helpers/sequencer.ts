import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test files known to take minutes, small as they are: Vitest starts the files it has no timings
 * for largest first, so without this a fresh clone (CI) ran these last, one of the two workers
 * alone with them for minutes at the end of the run.
 */
const LONGEST = [
  'test/browser/web-client.test.ts',
  'test/bench-smoke.test.ts',
  'test/browser/accessibility.test.ts',
  'test/cluster/chaos.test.ts',
  'test/browser/phone.test.ts',
];

/** Vitest's order (by earlier timings, else size), with the LONGEST files first. */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = LONGEST.findIndex((name) => file.moduleId.endsWith(name));
      return index === -1 ? LONGEST.length : index;
    };
    return sorted
      .map((file, position) => ({ file, position }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.position - b.position)
      .map(({ file }) => file);
  }
}
