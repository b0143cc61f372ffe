from kiosk.domain.ethnicity import ETHNICITIES, ethnicity_display, ethnicity_name
from kiosk.domain.masking import mask_card_no, mask_id, mask_name, mask_phone, scrub


def test_masks_keep_only_what_identifies_nothing() -> None:
    assert mask_id("35010219800517123X") == "3501**********123X"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("王") == "王*"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_card_no("A12345678") == "A*****678"


def test_scrub_masks_numbers_inside_free_text() -> None:
    text = "lookup 35010219800517123X phone 13812345678 order 12345"
    out = scrub(text)
    assert "35010219800517123X" not in out and "3501**********123X" in out
    assert "13812345678" not in out and "138****5678" in out
    assert "12345" in out


def test_ethnicity_table_is_complete() -> None:
    assert len(ETHNICITIES) == 58
    assert ethnicity_name("1") == "汉"
    assert ethnicity_display("22") == "畲族"
    assert ethnicity_display("97") == "其他"
    assert ethnicity_name("77").startswith("未知")


def test_text_from_outside_loses_control_and_bidi_characters() -> None:
    from kiosk.domain.text import safe_display_text

    assert safe_display_text("网点\u202e装修\n请到\x00柜台") == "网点 装修 请到 柜台"
    assert len(safe_display_text("长" * 500)) == 200
