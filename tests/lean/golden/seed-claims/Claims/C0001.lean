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

#print axioms claim_1baba9527c6489c0
#print axioms claim_1e578f6f8be3da7e
#print axioms claim_0fb58c5171253155
#print axioms claim_2c504b602d234495
#print axioms claim_5b048fa85fd166ed
