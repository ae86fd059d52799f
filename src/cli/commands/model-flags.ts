import { DEFAULT_PRETRAINED, pretrainedCheckpoint, pretrainedModelDir } from "../../restoration/index.js";
import { UsageError } from "../args.js";

/**
 * The checkpoint `eval` and `restore` use: `--checkpoint DIR` as given, else the shipped model
 * `--model NAME` (default the all-in-one model). Both at once, or an unknown or missing shipped
 * model, is a usage error naming the flag.
 */
export const checkpointFromFlags = (values: {
  readonly checkpoint?: string | undefined;
  readonly model?: string | undefined;
}): string => {
  if (values.checkpoint !== undefined && values.model !== undefined)
    throw new UsageError("give --checkpoint or --model, not both");
  if (values.checkpoint !== undefined) return values.checkpoint;
  try {
    return pretrainedCheckpoint(values.model ?? DEFAULT_PRETRAINED);
  } catch (error) {
    throw new UsageError(`--model: ${(error as Error).message}`);
  }
};

/**
 * What `restore` loads: `--checkpoint DIR` as given (a checkpoint or an exported model), else the
 * shipped model's exported form (`models/NAME/model/`: the same weights as its checkpoint, without
 * the optimizer state). The same usage errors as `checkpointFromFlags`.
 */
export const inferenceModelFromFlags = (values: {
  readonly checkpoint?: string | undefined;
  readonly model?: string | undefined;
}): string => {
  const location = checkpointFromFlags(values);
  if (values.checkpoint !== undefined) return location;
  try {
    return pretrainedModelDir(values.model ?? DEFAULT_PRETRAINED);
  } catch (error) {
    throw new UsageError(`--model: ${(error as Error).message}`);
  }
};
