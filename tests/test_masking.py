"""Masking of personal data shown in group chats."""

from bot.masking import mask_address, mask_id_number, mask_name, mask_phone, mask_text


def test_names_keep_the_first_character() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "*"


def test_phone_and_id_numbers() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0731-84512345") == "073*****2345"
    assert mask_id_number("430102199001011234") == "4301**********1234"
    assert mask_id_number("43010219900101X") == "4301*******101X"


def test_address_hides_the_room() -> None:
    assert mask_address("3栋2单元501") == "3栋2单元***"
    assert mask_address("朝阳新村") == "朝阳***"


def test_free_text_masks_embedded_numbers() -> None:
    text = "联系人电话13812345678，身份证430102199001011234，已居家"
    assert mask_text(text) == "联系人电话138****5678，身份证4301**********1234，已居家"
    assert mask_text("今日核查126户") == "今日核查126户"
