from shared.domain.tracking import ALPHABET, LENGTH, is_tracking_id, new_tracking_id


def test_tracking_ids_avoid_characters_a_citizen_could_confuse() -> None:
    assert not set("01OIL") & set(ALPHABET)
    ids = {new_tracking_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(is_tracking_id(i) and len(i) == LENGTH for i in ids)


def test_a_mistyped_character_is_never_a_valid_tracking_id() -> None:
    tracking_id = new_tracking_id()
    for i, original in enumerate(tracking_id):
        for other in ALPHABET.replace(original, ""):
            assert not is_tracking_id(tracking_id[:i] + other + tracking_id[i + 1 :])
