/**
 * Shared types for the backend helpers.
 *
 * The tfjs namespace is always injected by the caller (so that exactly one copy of
 * `@tensorflow/tfjs-core` is used, the one the backends registered themselves with);
 * these modules only import its *types*.
 */
import type * as tfCore from "@tensorflow/tfjs-core";

/** The `@tensorflow/tfjs-core` namespace (or a superset such as `@tensorflow/tfjs`), injected by the caller. */
export type Tf = typeof tfCore;

/** A tensor of any rank from the injected namespace. */
export type Tensor = tfCore.Tensor;

/** A 4-D tensor (NHWC unless stated otherwise). */
export type Tensor4D = tfCore.Tensor4D;

/** A scalar tensor, e.g. a loss. */
export type Scalar = tfCore.Scalar;

/** The minimal description of a tensor handed to kernel implementations. */
export type TensorInfo = tfCore.TensorInfo;

/** Explicit padding as accepted by the conv ops: `[[0,0],[top,bottom],[left,right],[0,0]]` for NHWC. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Padding as accepted by the conv ops. */
export type ConvPadding = "valid" | "same" | number | ExplicitPadding;

/** A logging sink; `console.log` fits. */
export type LogFn = (message: string) => void;
