import { describe, expect, it } from "vitest";
import { STATE_COLOURS, STYLE, stateKey } from "./theme.js";

// WCAG 2's relative luminance and contrast ratio.
const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [
    number,
    number,
  ];
  return (hi + 0.05) / (lo + 0.05);
};

describe("the theme's state colours", () => {
  it.each(Object.entries(STATE_COLOURS))(
    "gives %s badges at least 4.5:1 in the light and the dark theme",
    (_, colour) => {
      expect(contrast(colour.light, "#ffffff")).toBeGreaterThanOrEqual(4.5);
      expect(contrast(colour.dark, "#14181f")).toBeGreaterThanOrEqual(4.5);
    },
  );

  it("colours an unknown or missing state as none", () => {
    expect(stateKey("success")).toBe("success");
    expect(stateKey("removed")).toBe("none");
    expect(stateKey(null)).toBe("none");
  });

  it("has a dark theme and a visible focus ring", () => {
    expect(STYLE).toContain("prefers-color-scheme:dark");
    expect(STYLE).toMatch(/:focus-visible\{outline:3px solid/);
  });
});
