import ProvenanceClaims.Encoding
import ProvenanceClaims.Examples

/-!
# ProvenanceClaims

How `provenance lean emit` turns an arithmetic claim into a core-Lean theorem.

* `ProvenanceClaims.Encoding`: the Nat normal forms the generator emits, and
  lemmas (proved by `omega`) saying what each form means over `Int`.
* `ProvenanceClaims.Examples`: worked examples, one per encoding, including
  the six seed claims exactly as the generator emits them, each proved by
  `decide` with no imports beyond `Init`.

Build with `lake build`. Generated claim projects do not import this library:
each generated file is Init-only and is checked with `lean --json`.
-/
