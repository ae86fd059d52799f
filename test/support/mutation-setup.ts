import fc from "fast-check";

/**
 * Preloaded by the mutation runs only (stryker.config.mjs): a property that fails stops at its
 * first counterexample instead of shrinking it. A mutant needs one failure to be killed, and a
 * shrink of a badly broken rule can take longer than the mutant's timeout. Normal test runs
 * never load this file, so their failures still shrink to a minimal case.
 */
fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });
