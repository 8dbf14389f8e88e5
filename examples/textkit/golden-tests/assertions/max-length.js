// Passes when the output (a string or an array) is no longer than config.max.
export default function maxLength(output, ctx) {
  const max = ctx.config.max;
  const length = output == null ? Infinity : output.length;
  return { pass: length <= max, reason: `length ${length}, limit ${max}` };
}
