import pytest

import needle


def test_every_public_name_resolves():
    for name in needle.__all__:
        assert getattr(needle, name) is not None, name


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="no_such_thing"):
        needle.no_such_thing  # noqa: B018
