import hashlib

import pytest

from herbarium_leaves.batches import (
    assign_batches,
    batch_count,
    jump_hash,
    name_key,
    planned_jobs_per_stage,
    stage_of,
)

SHEETS = [f"K{index:06d}" for index in range(1000)]


def _batch_of(batches: dict[str, list[str]]) -> dict[str, str]:
    return {sample: batch for batch, members in batches.items() for sample in members}


def test_every_sheet_is_in_exactly_one_batch_in_its_given_order():
    batches = assign_batches(SHEETS, 50)
    members = [sample for batch in batches.values() for sample in batch]
    assert sorted(members) == SHEETS
    for batch in batches.values():
        assert batch == sorted(batch, key=SHEETS.index)
    assert list(batches) == sorted(batches) and all(name.startswith("b") for name in batches)


def test_batches_hold_about_the_batch_size():
    batches = assign_batches(SHEETS, 50)
    assert len(batches) == batch_count(1000, 50) == 20
    assert all(25 <= len(batch) <= 80 for batch in batches.values())


def test_assignment_depends_on_names_only():
    shuffled = SHEETS[::-1]
    assert _batch_of(assign_batches(shuffled, 50)) == _batch_of(assign_batches(SHEETS, 50))
    assert name_key("K000001") == int.from_bytes(hashlib.sha256(b"K000001").digest()[:8], "big")


def test_adding_sheets_keeps_the_others_in_their_batches():
    before = _batch_of(assign_batches(SHEETS, 50))
    added = [f"new{index}" for index in range(10)]
    after = _batch_of(assign_batches(SHEETS[:-10] + added, 50))  # same count of batches
    assert all(after[sample] == before[sample] for sample in SHEETS[:-10])


def test_a_new_batch_takes_about_its_share_and_only_moves_sheets_into_itself():
    before = _batch_of(assign_batches(SHEETS, 50))  # 20 batches
    after = _batch_of(assign_batches(SHEETS + ["one more"], 50))  # 21 batches
    moved = [sample for sample in SHEETS if after[sample] != before[sample]]
    assert {after[sample] for sample in moved} == {"b020"}
    assert 20 <= len(moved) <= 80  # about 1000 / 21


def test_one_batch_for_few_sheets_and_jump_hash_bounds():
    assert assign_batches(["a", "b"], 100) == {"b000": ["a", "b"]}
    assert assign_batches([], 10) == {}
    assert all(0 <= jump_hash(name_key(sample), 7) < 7 for sample in SHEETS)
    assert jump_hash(12345, 1) == 0
    with pytest.raises(ValueError):
        jump_hash(1, 0)


def test_dry_run_job_table_is_counted_per_stage():
    table = """Job stats:
job                          count
-------------------------  -------
predict_sheet_test_b000          3
predict_sheet_test_b001          3
measure_truth_train_b012         1
train                            2
all                              1
total                           10
"""
    assert stage_of("resize_train_b002") == "resize" and stage_of("train_svm") == "train_svm"
    assert stage_of("synthesize_svm_b001") == "synthesize_svm"  # batches of generated sheets have no split
    assert planned_jobs_per_stage(table) == {"predict_sheet": 6, "measure_truth": 1, "train": 2}
