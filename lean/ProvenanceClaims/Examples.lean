/-!
# Worked examples

Each example is a statement exactly in the shape `provenance lean emit`
writes, proved by `decide` with no imports and no compiler trust. The first block
is the six seed claims of `examples/seed-claims.json` as emitted (c6 divides
by zero, so it gets no theorem); the second shows one encoding per row of the
table in `ProvenanceClaims.Encoding`, with readable names.
-/

namespace ProvenanceClaims.Examples

/-! ## The seed claims, as emitted -/

theorem claim_1baba9527c6489c0 :
    ((82 + 75 + 70) * 100 * 100 : Nat) ≤ 757 * (3 * 10) * 100 + 5 * 757 * (3 * 10) ∧
    (757 * (3 * 10) * 100 : Nat) ≤ (82 + 75 + 70) * 100 * 100 + 5 * 757 * (3 * 10) := by
  decide

theorem claim_1e578f6f8be3da7e :
    ((82 + 75 + 70) * 10 * 100 : Nat) ≤ 76 * (3 * 10) * 100 + 5 * (3 * 10) * 10 ∧
    (76 * (3 * 10) * 100 : Nat) ≤ (82 + 75 + 70) * 10 * 100 + 5 * (3 * 10) * 10 := by
  decide

theorem claim_0fb58c5171253155 :
    ¬(
      ((82 + 75 + 70) * 10 * 100 : Nat) ≤ 78 * (3 * 10) * 100 + 5 * (3 * 10) * 10 ∧
      (78 * (3 * 10) * 100 : Nat) ≤ (82 + 75 + 70) * 10 * 100 + 5 * (3 * 10) * 10
    ) := by
  decide

theorem claim_2c504b602d234495 :
    (87 * 10 : Nat) = 5 * 10 + 82 * 10 := by
  decide

theorem claim_5b048fa85fd166ed :
    (100 * 87 * 10 * 100 : Nat) ≤ 100 * 82 * 10 * 100 + 61 * 82 * 100 + 5 * 82 * 10 ∧
    (100 * 82 * 10 * 100 + 61 * 82 * 100 : Nat) ≤ 100 * 87 * 10 * 100 + 5 * 82 * 10 := by
  decide

/-! ## One example per encoding -/

/-- 10 000 + 1 000 + 1 345 = 12 345 (a sum of counts, exact). -/
theorem sum_counts : (10000 + 1000 + 1345 : Nat) = 12345 := by
  decide

/-- 45.3 − 36.6 = 8.7, scaled by 10: the difference moves to the right. -/
theorem difference_gain : (453 : Nat) = 366 + 87 := by
  decide

/-- 48.6 − 51.0 = −2.4: the negative result moves to the other side. -/
theorem difference_drop : (510 : Nat) = 486 + 24 := by
  decide

/-- A speed-up of 120 ms / 48 ms = 2.5: ratio by cross-multiplication. -/
theorem ratio_speedup : (120 * 10 : Nat) = 25 * 48 := by
  decide

/-- 80.0 → 92.0 is exactly +15 %: `100 (new − old) / old = 15`. -/
theorem percent_exact : (100 * 920 : Nat) = 100 * 800 + 15 * 800 := by
  decide

/-- Mean 7.57 ± 0.01 (absolute): `|227/30 − 757/100| ≤ 1/100`. -/
theorem mean_absolute :
    ((82 + 75 + 70) * 100 * 100 : Nat) ≤ 757 * (3 * 10) * 100 + 1 * (3 * 10) * 100 ∧
    (757 * (3 * 10) * 100 : Nat) ≤ (82 + 75 + 70) * 100 * 100 + 1 * (3 * 10) * 100 := by
  decide

/-- `min(2.5, 4.0) = 2.5`: the branch the exact value takes is a side condition (`25 ≤ 40`). -/
theorem min_branch :
    (25 : Nat) ≤ 40 ∧
    (25 * 10 : Nat) = 25 * 10 := by
  decide

/-- `abs(1.5 − 4.0) = 2.5`: the sign of the argument is a side condition (`15 ≤ 40`). -/
theorem abs_branch :
    (15 : Nat) ≤ 40 ∧
    (40 * 10 : Nat) = 25 * 10 + 15 * 10 := by
  decide

/-- `ratio(6, 3 − 1) = 3`: the divisor is not visibly positive, so `0 < 3 − 1` is a side condition. -/
theorem divisor_positive :
    (1 + 1 : Nat) ≤ 3 ∧
    (6 + 3 * 1 : Nat) = 3 * 3 := by
  decide

/-- A falsified claim, certified: the mean of 8.2, 7.5, 7.0 is not 7.9 within 1 %. -/
theorem false_mean_negated :
    ¬(
      ((82 + 75 + 70) * 10 * 100 : Nat) ≤ 79 * (3 * 10) * 100 + 1 * 79 * (3 * 10) ∧
      (79 * (3 * 10) * 100 : Nat) ≤ (82 + 75 + 70) * 10 * 100 + 1 * 79 * (3 * 10)
    ) := by
  decide

end ProvenanceClaims.Examples
