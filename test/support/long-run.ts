/**
 * The length of the hostile runs the regex tests feed (a run of blanks, slashes or letters
 * with no end a pattern looks for). A pattern that rescans the run from each of its
 * characters spends time quadratic in it: 16 K characters cost 0.5 s, 150 K ~45 s, past
 * mocha's 20 s timeout, so such a test fails by its time limit while asserting results only.
 */
export const LONG_RUN = 150_000;
