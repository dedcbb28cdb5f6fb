"""The free-text parser field by field: the cases the issue names, each on its own."""

from __future__ import annotations

import pytest
from lianfang.handlers.shared.freetext import FIELDS, parse_check

COMPOUNDS = ("朝阳新村", "朝阳小区", "东风小区", "东风新村", "新华苑", "新华小区")


def read(text: str, field: str) -> object:
    return parse_check(text, COMPOUNDS).as_json()[field]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("朝阳新村3栋2单元501 张三", "朝阳新村3栋2单元501"),
        ("3-2-501 张三 37.9", "3-2-501"),
        ("2#3-401 罗平", "2#3-401"),
        ("五里牌路88号 刘建国", "五里牌路88号"),
        ("地址：东风小区3栋2单元201 姓名：黄志强", "东风小区3栋2单元201"),
        ("朝阳社区朝阳新村5栋101 何伟", "朝阳新村5栋101"),
        ("家住东风新村4栋501的马建华", "东风新村4栋501"),
        ("朝阳新村三东二单元五零一 许华", "朝阳新村三东二单元五零一"),
        ("东风小区 张伟 36.5", "东风小区"),
        ("朝阳新村37栋201 秦芳 36.6", "朝阳新村37栋201"),
    ],
)
def test_the_address_is_the_span_as_typed(text: str, address: str) -> None:
    assert read(text, "address") == address


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("3栋2单元501张三体温37.9", "张三"),
        ("东风小区11栋101 刘建国大爷 36.7", "刘建国"),
        ("东风小区3栋102 周娭毑 脑壳痛", "周娭毑"),
        ("朝阳小区9栋102 老王 体温36.9", "老王"),
        ("新华苑7栋302 王某 男 45岁", "王某"),
        ("新华小区4栋201 王德明的老伴 体温36.5", None),
        ("朝阳新村10栋302 独居老人 36.4", None),
        ("@张书记 朝阳小区5栋302 章丽 36.4", "章丽"),
        ("网格员：刘敏 新华苑5栋201 周强 36.6", "周强"),
        ("3-2-501 Zhang San 37.9 cough", "Zhang San"),
        ("Mr Wang 2-1-201 36.6", "Mr Wang"),
        ("朝阳新村5栋2单元301欧阳娜娜体温36.6", "欧阳娜娜"),
    ],
)
def test_the_name_is_the_checked_persons_own(text: str, name: str | None) -> None:
    assert read(text, "name") == name


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("李明 3栋 13812345678", "13812345678"),
        ("王强 3栋 电话138 1234 5678", "13812345678"),
        ("赵丽 3栋 手机：139-0731-4567", "13907314567"),
        ("钱伟 3栋 +86 137 3112 8890", "13731128890"),
        ("周建 3栋 008613974561234", "13974561234"),
        ("吴芳 3栋 座机0731-84512345", "073184512345"),
        ("黄老师 3栋 (0731)84512345", "073184512345"),
        ("褚伟 3栋 尾号6731 体温36.5", None),
        ("网格员刘敏13787654321 上报 2栋301 蒋华", None),
        ("冯大爷 3栋 儿子电话13607315566", "13607315566"),
    ],
)
def test_the_phone_is_digits_only_and_never_the_workers(text: str, phone: str | None) -> None:
    assert read(text, "phone") == phone


@pytest.mark.parametrize(
    ("text", "temperature"),
    [
        ("张三 3栋 三十七度八", 37.8),
        ("张三 3栋 37度5", 37.5),
        ("张三 3栋 37点9", 37.9),
        ("张三 3栋 38度", 38.0),
        ("张三 3栋 体温３６．６", 36.6),
        ("张三 3栋 体温365", 36.5),
        ("张三 3栋 早上37.5 下午复测36.8", 36.8),
        ("张三 3栋 体温38.1 不是36.2", 38.1),
        ("张三 37栋 72岁 1月20日从武汉回来", None),
        ("张三 3栋 体温正常", None),
        ("张三 3栋 不烧", None),
    ],
)
def test_the_temperature_is_the_latest_reading(text: str, temperature: float | None) -> None:
    assert read(text, "temperature") == temperature


@pytest.mark.parametrize(
    ("text", "history"),
    [
        ("张三 3栋 1月20号从武汉回来的", "wuhan"),
        ("张三 3栋 经武汉转车回长沙", "wuhan"),
        ("张三 3栋 与确诊病例有接触 武汉回来", "contact"),
        ("张三 3栋 从孝感回来", "other"),
        ("张三 3栋 和武汉回来的亲戚吃过饭", "other"),
        ("张三 3栋 一直在家没出门", "none"),
        ("张三 3栋 武汉人 一直在长沙", "none"),
        ("张三 3栋 本人是疑似病例", None),
    ],
)
def test_the_history_is_the_strongest_given(text: str, history: str | None) -> None:
    assert read(text, "history") == history


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        ("张三 3栋 原居家观察 今日发热 已送发热门诊", "referred"),
        ("张三 3栋 建议就医", "referred"),
        ("张三 3栋 叫他别出门", "home"),
        ("张三 3栋 解除观察", "none"),
        ("张三 3栋 措施：正常", "none"),
        ("张三 3栋 正常", None),
        ("张三 3栋 不用去医院 在家观察", "home"),
        ("张三 3栋 要不要居家观察？", None),
        ("张三 3栋 如果发烧就送发热门诊", None),
    ],
)
def test_the_measure_is_the_last_taken(text: str, measure: str | None) -> None:
    assert read(text, "measure") == measure


@pytest.mark.parametrize(
    "text", ["收到", "好的👍", "明天上午9点开会", "", "   ", "x" * 5000, "体温计不够用了 需要20支"]
)
def test_chatter_and_garbage_read_as_nothing(text: str) -> None:
    assert parse_check(text, COMPOUNDS).as_json() == dict.fromkeys(FIELDS)


def test_two_people_give_the_first_and_say_so() -> None:
    understood = parse_check("新华小区5栋101 王建军 36.5 妻子刘芳 36.7 均无症状", COMPOUNDS)
    assert (understood.name, understood.temperature, understood.symptoms, understood.others) == (
        "王建军",
        36.5,
        [],
        True,
    )
