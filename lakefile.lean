import Lake
open Lake DSL

-- Core Lean only: no Mathlib, no other dependencies. `lake build` checks every
-- encoding lemma and worked example under lean/.
package «provenanceClaims» where
  srcDir := "lean"

@[default_target]
lean_lib «ProvenanceClaims» where
  roots := #[`ProvenanceClaims]
