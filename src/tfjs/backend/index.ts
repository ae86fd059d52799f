/**
 * Backend helpers for tfjs: training kernels for wasm, a kernel audit, and backend selection.
 * The tfjs namespace is always injected; backend packages are only loaded by `selectBackend`.
 */
export * from "./types.js";
export * from "./audit.js";
export * from "./register.js";
export * from "./register-webgpu.js";
export * from "./register-webgl.js";
export * from "./dilated-conv.js";
export { spaceToDepth } from "./kernels/depth-to-space-grad.js";
export { conv2dFilterGradNhwc } from "./kernels/conv2d-backprop-filter.js";
export { depthwiseFilterGrad, depthwiseInputGrad } from "./kernels/depthwise-backprop.js";
export { unsortedSegmentSumByOneHot, unsortedSegmentSumKernel } from "./kernels/unsorted-segment-sum.js";
export * from "./select.js";
export * from "./audit-pieces.js";
export { maxPoolInputGrad } from "./kernels/max-pool-grad.js";
export { conv2dInputGradNhwc } from "./kernels/conv2d-backprop-input.js";
export { foldUnpaddedAxes, padWithLowRankPads } from "./kernels/pad-high-rank.js";
