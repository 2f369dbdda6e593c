"""The fast E.164 path agrees with phonenumbers on every number it accepts."""
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.campaigns.numbers import InvalidNumber, PhoneNormaliser

REGIONS = ["US", "CA", "GB", "DE", "FR", "RU", "IT", "BR", "AR", "IN", "CN", "AU", "JE"]


def reference(normaliser, text):
    try:
        return normaliser.slow(text)
    except InvalidNumber:
        return None


@pytest.mark.parametrize("text, expected", [
    ("+1 415-555-2671", "+14155552671"),
    ("(415) 555-2671", "+14155552671"),
    ("415.555.2671", "+14155552671"),
    ("1-415-555-2671", "+14155552671"),      # slow path: country code written without +
    ("011 44 20 7946 0958", "+442079460958"),  # slow path: US international prefix
    ("+44 (0)20 7946 0958", "+442079460958"),  # slow path: national prefix after country code
    ("+1 613 555 0134", "+16135550134"),     # Canada under +1
])
def test_common_shapes(text, expected):
    assert PhoneNormaliser("US").normalise(text) == expected


@pytest.mark.parametrize("text", ["", "hello", "555-0100", "+1 555", "+999 1234567", "(415) 555-267",
                                  "+046200000"])
def test_invalid_numbers_raise(text):
    with pytest.raises(InvalidNumber):
        PhoneNormaliser("US").normalise(text)


def test_fast_path_takes_plain_shapes():
    normaliser = PhoneNormaliser("US")
    for text in ["+14155552671", "(415) 555-2672", "415 555 2673"]:
        normaliser.normalise(text)
    assert (normaliser.fast_hits, normaliser.slow_calls) == (3, 0)


@settings(max_examples=int(os.environ.get("FSCC_NUMBER_EXAMPLES", "600")), deadline=None)
@given(region=st.sampled_from(REGIONS),
       digits=st.text(alphabet="0123456789", min_size=6, max_size=14),
       shape=st.sampled_from(["{d}", "+{d}", "+{cc}{d}", "+{cc} {d}", "({a}) {b}", "0{d}", "{cc}{d}"]))
def test_fast_path_agrees_with_phonenumbers(region, digits, shape):
    import phonenumbers

    normaliser = PhoneNormaliser(region)
    cc = phonenumbers.country_code_for_region(region)
    text = shape.format(d=digits, cc=cc, a=digits[:3], b=digits[3:])
    fast = normaliser._fast(text)
    if fast is not None:
        assert fast == reference(normaliser, text)


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(REGIONS), data=st.data())
def test_fast_path_agrees_on_real_example_numbers(region, data):
    import phonenumbers

    kinds = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
             phonenumbers.PhoneNumberType.TOLL_FREE]
    example = phonenumbers.example_number_for_type(region, data.draw(st.sampled_from(kinds)))
    if example is None:
        return
    fmt = data.draw(st.sampled_from([phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.NATIONAL,
                                     phonenumbers.PhoneNumberFormat.INTERNATIONAL]))
    text = phonenumbers.format_number(example, fmt)
    normaliser = PhoneNormaliser(region)
    assert normaliser.normalise(text) == reference(normaliser, text)
