"""The parser never produces a symptom that is negated, resolved, conditional, another person's, or a temperature."""

from __future__ import annotations

import pytest
from lianfang.handlers.shared.freetext import parse_check

NEVER_A_SYMPTOM = [
    "3栋2单元501张三 不咳嗽 无发热",
    "李四 没有拉肚子 体温36.5",
    "王芳 体温正常",
    "王芳 一切正常",
    "赵敏 冇发烧 冇咳 蛮好",
    "刘洋 咳嗽已经好了",
    "刘洋 昨天发烧 今天退了",
    "刘洋 发烧已退 36.6",
    "周丽 前几天拉肚子 现在好了",
    "陈强 如有发热立即送医",
    "陈强 如果发烧就送发热门诊",
    "陈强 嘱咐她出现咳嗽发热及时报告",
    "吴军 36.6 正常 女儿吴倩发烧",
    "孙大爷 老伴咳嗽 他本人无症状",
    "李秀英 36.4 无症状 儿子李伟 37.6 咳嗽 已送发热门诊",
    "温度37.1 自述不发烧",
    "张三 体温38.5",
    "张三 三十九度",
    "张三 37.9",
    "张三 送发热门诊",
    "张三 发热门诊回来 体温36.8",
    "Zhang San no fever no cough 36.5",
    "余丽 否认发热 咳嗽",
    "杜军 发热（-） 咳嗽（-）",
    "蒋军 无发热咳嗽乏力等症状",
    "袁丽 不烧 不咳 不喘",
    "程强 喉咙不痛 头不疼",
]


@pytest.mark.parametrize("text", NEVER_A_SYMPTOM)
def test_no_symptom_is_invented(text: str) -> None:
    assert not parse_check(text).symptoms


@pytest.mark.parametrize(
    ("text", "symptoms"),
    [
        ("张三 咳嗽 无发热", ["咳嗽"]),
        ("张三 不发热 有点咳", ["咳嗽"]),
        ("张三 发热 37.9", ["发热"]),
        ("周娭毑 脑壳痛 冇得力气", ["乏力", "头痛"]),
        ("夏雨 喘不赢气", ["呼吸困难"]),
        ("彭强 咳嗽好了 还有点乏力", ["乏力"]),
        ("陈明 37.8 咳嗽 其妻周丽 36.5 无症状", ["咳嗽"]),
    ],
)
def test_the_symptoms_said_are_kept(text: str, symptoms: list[str]) -> None:
    assert parse_check(text).symptoms == symptoms
