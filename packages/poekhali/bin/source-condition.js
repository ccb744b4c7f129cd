// A module resolve hook (run by Node's loader thread) that resolves imports as `node --conditions=poekhali-source`
// would: the workspace's @poekhali/* packages then load from their TypeScript sources instead of a built dist.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes("poekhali-source")
    ? context.conditions
    : [...context.conditions, "poekhali-source"];
  return nextResolve(specifier, { ...context, conditions });
}
