// Passes when hits are ordered by descending score.
export default function sortedByScore(output) {
  if (!Array.isArray(output)) return { pass: false, reason: "not an array" };
  for (let i = 1; i < output.length; i++) {
    if (output[i - 1].score < output[i].score) {
      return { pass: false, reason: `hit ${i} scores higher than hit ${i - 1}` };
    }
  }
  return true;
}
