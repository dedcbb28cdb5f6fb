"""Masking of personal data shown in group chats."""

import pytest
from lianfang.handlers.shared.masking import (
    HISTORY_CONTACT,
    HISTORY_NONE,
    HISTORY_OTHER,
    HISTORY_WUHAN,
    history_category,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    masked_case,
)


def test_names_keep_the_first_character() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "*"
    assert mask_name("张\u200b三") == "张*"


def test_phone_and_id_numbers() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0731-84512345") == "073*****2345"
    assert mask_id_number("430102199001011234") == "4301**********1234"
    assert mask_id_number("43010219900101X") == "4301*******101X"


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("3栋2单元501", "3栋***"),
        ("朝阳新村3栋2单元501-2", "朝阳新村3栋***"),
        ("5栋301室附1", "5栋***"),
        ("3栋2单元五零一", "3栋***"),
        ("朝阳新村3栋2单元 电话13812345678", "朝阳新村3栋***"),
        ("13812345678 朝阳新村3栋", "***"),
        ("解放路12号", "解放路***"),
        ("幸福里3号楼1201", "幸福里3号楼***"),
        ("Room 501, Bldg 3", "Bldg 3 ***"),
        ("Room 501, Bldg 3, Sunshine Garden", "Sunshine Garden, Bldg 3 ***"),
        ("朝阳新村", "朝阳***"),
    ],
)
def test_address_keeps_the_compound_and_building_only(address: str, shown: str) -> None:
    assert mask_address(address) == shown


def test_free_text_masks_embedded_numbers() -> None:
    text = "联系人电话13812345678，身份证430102199001011234，已居家"
    assert mask_text(text) == "联系人电话138****5678，身份证4301**********1234，已居家"
    assert mask_text("今日核查126户") == "今日核查126户"
    assert mask_text("电话 +86 138 1234 5678") == "电话 138****5678"
    assert mask_text("电话１３８１２３４５６７８") == "电话138****5678"


def test_history_is_told_by_category() -> None:
    assert history_category("none") == HISTORY_NONE
    assert history_category("1月20日从武汉返回") == HISTORY_WUHAN
    assert history_category("与确诊病例吴十（身份证4301**********1234）同住") == HISTORY_CONTACT
    assert history_category("去过广州") == HISTORY_OTHER


def test_masked_case_keeps_only_recognised_symptom_words() -> None:
    case = masked_case(
        name="欧阳娜娜",
        address="朝阳新村3栋2单元502",
        phone="13812345678",
        symptoms="咳嗽、家属孙八13700002222也发热",
        known_symptoms={"咳嗽", "发热"},
        history="与确诊病例吴十同住",
    )
    assert (case.person.name, case.person.address, case.person.phone) == ("欧***", "朝阳新村3栋***", "138****5678")
    assert case.symptoms == ("咳嗽",)
    assert case.unlisted_symptoms
    assert case.history == HISTORY_CONTACT
