/** The training report: run directories in, one self-contained HTML file with inline SVG out. */
export * from "./svg.js";
export * from "./run.js";
export * from "./html.js";
export * from "./samples.js";
