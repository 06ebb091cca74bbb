from shared.domain.tracking import ALPHABET, LENGTH, is_tracking_id, new_tracking_id


def test_tracking_ids_avoid_characters_a_citizen_could_confuse() -> None:
    assert not set("01OIL") & set(ALPHABET)
    ids = {new_tracking_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(is_tracking_id(i) and len(i) == LENGTH for i in ids)
