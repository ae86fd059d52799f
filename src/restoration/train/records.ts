/**
 * The files of a run directory, as types: one `log.jsonl` line per step and `eval.json`.
 * The trainer writes them, `eval` writes `eval.json`, and the report reads both.
 *
 *     runs/NAME/
 *       config.json      the resolved training config
 *       log.jsonl        one StepRecord per line
 *       checkpoint/      the latest checkpoint (model, optimizer, weighting state, step)
 *       eval.json        an EvalResult
 */

/** One line of `log.jsonl`. */
export interface StepRecord {
  /** 1-based: the number of updates done after this step. */
  readonly step: number;
  /** The weighted total loss that was minimised. */
  readonly loss: number;
  /** Mean loss of each task in this step's batch; null when the task had no sample. */
  readonly taskLosses: ReadonlyArray<number | null>;
  /** The weights applied (on the simplex; 0 for absent tasks). */
  readonly weights: readonly number[];
  /** Learning rate used. */
  readonly lr: number;
  /**
   * Seconds of training since the run started. A resumed run continues the clock from the last
   * kept record (the time between the interruption and the resumption is not counted).
   */
  readonly time: number;
}

/** PSNR/SSIM of one task. */
export interface TaskScore {
  readonly task: string;
  /** Number of images scored. */
  readonly count: number;
  /**
   * Mean PSNR in dB of the restored images, over those that differ from their clean image: an
   * image equal to it (PSNR +Infinity, e.g. a low-light input with gamma near 1 after 8-bit
   * rounding) is counted in `identical` instead, so one such image does not turn the mean into
   * Infinity. +Infinity only when every image is identical.
   */
  readonly psnr: number;
  readonly ssim: number;
  /** Mean PSNR and SSIM of the degraded inputs themselves (the do-nothing baseline); PSNR as `psnr`. */
  readonly inputPsnr: number;
  readonly inputSsim: number;
  /** Restored images equal to their clean image (left out of `psnr`); absent in files written before this field. */
  readonly identical?: number;
  /** Inputs equal to their clean image (left out of `inputPsnr`). */
  readonly inputIdentical?: number;
}

/** The content of `eval.json`. */
export interface EvalResult {
  /** What was evaluated: the checkpoint directory and its step. */
  readonly checkpoint: string;
  readonly step: number;
  /** The evaluation data (frozen set dir, folder, or "procedural"). */
  readonly data: string;
  /** Metric settings (see the metrics module). */
  readonly convention: "basicsr" | "skimage";
  readonly cropBorder: number;
  readonly yChannel: boolean;
  /** Present when each image was restored as a self-ensemble (`eval --ensemble`): `true` (each task's passes), or 8 or 4 for all. */
  readonly ensemble?: true | 8 | 4;
  readonly tasks: readonly TaskScore[];
  /** Unweighted mean over the tasks. */
  readonly mean: { readonly psnr: number; readonly ssim: number };
  /** Seconds the evaluation took. */
  readonly seconds: number;
}
