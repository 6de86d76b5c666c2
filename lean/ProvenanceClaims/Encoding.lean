/-!
# Claim encodings

Every arithmetic claim is emitted as a closed statement over `Nat` literals
using only `+`, `*`, `=`, `≤`, `∧` and `¬`, proved by `decide`. This module
states, over `Int`, what each normal form means; the proofs use only `omega`
from core Lean.

**Scaling.** A decimal with `k` digits after the point is the integer of its
digits over `10^k` (`8.2 = 82 / 10`). All inputs of one check share the
largest scale; literals in a formula keep their own.

**Signs.** An integer is carried as a pair `(p, n)` of naturals meaning
`p - n`; a negative term moves to the other side of a comparison
(`signed_le_iff`, `signed_eq_iff`).

**Tolerance.** With computed value `N / D` (`D > 0`) and claimed value
`C / E` (`E = 10^k`):

* absolute tolerance `H / K`: `|N·E·K − C·D·K| ≤ H·D·E`;
* relative tolerance `r = rn / rd`, against the claimed value:
  `|N·E·rd − C·D·rd| ≤ rn·|C|·D`;
* stated to `p` decimals: absolute tolerance `5 / 10^(p+1)`;
* a zero bound: the equality `N·E = C·D`.

`|X − Y| ≤ T` is emitted as `X ≤ Y + T ∧ Y ≤ X + T` (`within_iff`).

**Side conditions.** Where the exact value picks a branch (`min`, `max`,
`abs`) or a divisor is not visibly positive, the choice is an extra conjunct,
so Lean checks it too. A falsified claim is emitted as `side ∧ ¬ main`, never
`¬ (side ∧ main)`.
-/

namespace ProvenanceClaims

/-- The within-tolerance normal form says `|X − Y| ≤ T` over the integers. -/
theorem within_iff (X Y T : Nat) :
    (X ≤ Y + T ∧ Y ≤ X + T) ↔ ((X : Int) - Y ≤ T ∧ (Y : Int) - X ≤ T) := by
  constructor
  · intro ⟨h₁, h₂⟩
    exact ⟨by omega, by omega⟩
  · intro ⟨h₁, h₂⟩
    exact ⟨by omega, by omega⟩

/-- Comparing signed pairs: `p₁ − n₁ ≤ p₂ − n₂` iff `p₁ + n₂ ≤ p₂ + n₁`. -/
theorem signed_le_iff (p₁ n₁ p₂ n₂ : Nat) :
    p₁ + n₂ ≤ p₂ + n₁ ↔ (p₁ : Int) - n₁ ≤ (p₂ : Int) - n₂ := by
  constructor
  · intro h
    omega
  · intro h
    omega

/-- Equality of signed pairs: `p₁ − n₁ = p₂ − n₂` iff `p₁ + n₂ = p₂ + n₁`. -/
theorem signed_eq_iff (p₁ n₁ p₂ n₂ : Nat) :
    p₁ + n₂ = p₂ + n₁ ↔ (p₁ : Int) - n₁ = (p₂ : Int) - n₂ := by
  constructor
  · intro h
    omega
  · intro h
    omega

/-- The positivity side condition of a divisor `p − n`: `n + 1 ≤ p` iff `0 < p − n`. -/
theorem positive_iff (p n : Nat) : n + 1 ≤ p ↔ 0 < (p : Int) - n := by
  constructor
  · intro h
    omega
  · intro h
    omega

/-- The within form with a signed bound `tp − tn` (used when a divisor has a negative part). -/
theorem within_signed_iff (X Y tp tn : Nat) :
    (X + tn ≤ Y + tp ∧ Y + tn ≤ X + tp) ↔
      ((X : Int) - Y ≤ (tp : Int) - tn ∧ (Y : Int) - X ≤ (tp : Int) - tn) := by
  constructor
  · intro ⟨h₁, h₂⟩
    exact ⟨by omega, by omega⟩
  · intro ⟨h₁, h₂⟩
    exact ⟨by omega, by omega⟩

end ProvenanceClaims
