import Lake
open Lake DSL

package «provenanceClaims» where
  -- core Lean only: no Mathlib, no other dependencies

@[default_target]
lean_lib «ProvenanceClaims» where
  srcDir := "lean"
