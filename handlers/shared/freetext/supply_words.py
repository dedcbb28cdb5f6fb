"""The words of supply needs: common items and what they are also called, units, urgency and need words."""

from __future__ import annotations

COMMON_ITEMS: dict[str, tuple[str, ...]] = {
    "口罩": ("口罩", "一次性口罩", "普通口罩"),
    "医用外科口罩": ("医用外科口罩", "外科口罩", "医用口罩"),
    "N95口罩": ("N95口罩", "N95"),
    "KN95口罩": ("KN95口罩", "KN95"),
    "84消毒液": ("84消毒液", "84消毒水", "84液"),
    "消毒液": ("消毒液", "消毒水", "消毒剂"),
    "消毒片": ("消毒片", "泡腾片", "含氯消毒片"),
    "75%酒精": ("75%酒精", "75％酒精", "75度酒精"),
    "酒精": ("酒精", "医用酒精"),
    "酒精棉片": ("酒精棉片", "酒精棉球", "棉签"),
    "洗手液": ("洗手液", "免洗洗手液", "免洗消毒液"),
    "防护服": ("防护服", "医用防护服"),
    "隔离衣": ("隔离衣",),
    "手套": ("手套", "一次性手套", "医用手套", "乳胶手套", "橡胶手套"),
    "护目镜": ("护目镜",),
    "防护面屏": ("防护面屏", "面屏", "面罩"),
    "鞋套": ("鞋套",),
    "帽子": ("一次性帽子", "医用帽子", "帽子"),
    "体温枪": ("体温枪", "额温枪", "测温枪", "红外测温仪"),
    "体温计": ("体温计", "温度计", "水银体温计"),
    "喷壶": ("喷壶", "喷雾器", "消毒喷雾器"),
    "垃圾袋": ("垃圾袋", "医疗垃圾袋"),
    "帐篷": ("帐篷",),
    "取暖器": ("取暖器", "电暖器", "小太阳"),
    "军大衣": ("军大衣", "棉大衣"),
    "暖宝宝": ("暖宝宝",),
    "对讲机": ("对讲机",),
    "手电筒": ("手电筒",),
    "警戒线": ("警戒线", "隔离带"),
    "雨衣": ("雨衣",),
    "矿泉水": ("矿泉水", "饮用水"),
    "方便面": ("方便面",),
    "大米": ("大米",),
    "食用油": ("食用油",),
    "蔬菜": ("蔬菜",),
    "桌椅": ("桌椅",),
    "扩音喇叭": ("扩音喇叭", "喇叭", "小喇叭"),
}
"""Common items by the name stored, with the words staff type for them. An item the org file lists is stored by
the org file's name; a word that is not listed here or in the org file is not read as an item."""

DEFAULT_UNITS = {
    "口罩": "只",
    "医用外科口罩": "只",
    "N95口罩": "只",
    "KN95口罩": "只",
    "84消毒液": "瓶",
    "消毒液": "瓶",
    "75%酒精": "瓶",
    "酒精": "瓶",
    "洗手液": "瓶",
    "防护服": "套",
    "隔离衣": "件",
    "手套": "副",
    "护目镜": "副",
    "防护面屏": "个",
    "鞋套": "双",
    "体温枪": "把",
    "体温计": "支",
}
"""The unit a need is stored in when the text gives none and the org file does not list the item."""

UNITS = (
    "只",
    "个",
    "瓶",
    "桶",
    "箱",
    "套",
    "件",
    "包",
    "盒",
    "袋",
    "副",
    "双",
    "台",
    "把",
    "支",
    "顶",
    "条",
    "卷",
    "张",
    "片",
    "提",
    "件套",
    "斤",
    "公斤",
    "千克",
    "kg",
    "升",
    "L",
    "吨",
    "根",
    "部",
    "床",
    "份",
)
"""Units a quantity may carry. A number followed by anything else (栋, 号, 岁) is no quantity."""

URGENT_WORDS = ("十万火急", "紧急", "急需", "加急", "特急", "急缺", "急用", "急要", "很急", "着急", "火速", "急")
NOT_URGENT_WORDS = ("不急", "不紧急", "不是很急", "不太急", "不着急", "不用急")
NOT_URGENT_CONTEXT = ("急诊", "急救", "应急", "急性", "急躁", "救急")
"""Words holding 急 that say nothing about the need's urgency."""
NEED_WORDS = ("急需", "需要", "需", "缺", "申请", "申领", "请求", "请拨", "请调", "求", "要", "差", "补充", "补")
"""Words that make an item named without a quantity a need (``东风社区缺口罩``)."""
NOT_A_NEED = ("已发", "已领", "收到", "发放了", "领到", "已经发", "已到", "已经到", "到货", "送到了", "送达", "送来了")
"""Words saying supplies were given or received, not asked for."""
ON_HAND = ("还剩", "只剩", "剩余", "剩下", "库存", "还有")
"""Words saying how much is left: the item is a need only when the next clause asks a quantity (``防护服只剩2套了，
需要50套``)."""
PURPOSE_PATTERNS = (
    r"用于(?P<p>[^,，。;；!！?？\s]{2,30})",
    r"供(?P<p>[^,，。;；!！?？\s]{2,20}?)(?:使用|用)",
    r"给(?P<p>[^,，。;；!！?？\s]{2,20}?)(?:使用|用)(?!品)",
    r"作为?(?P<p>[^,，。;；!！?？\s]{2,20}?)用",
    r"(?:为了|以便)(?P<p>[^,，。;；!！?？\s]{2,30})",
    r"(?:只|个|瓶|桶|套|副|双|箱|把|件|支)给(?P<p>[^,，。;；!！?？\s]{2,20})$",
    r"[,，]\s*给(?P<p>[^,，。;；!！?？\s]{2,20})$",
    r"[,，]\s*(?P<p>[^,，。;；!！?？\s]{2,20}?)(?<![急要使备在])用的?$",
)
NOT_A_PURPOSE = ("今天", "明天", "今晚", "晚上", "下周", "马上", "现在", "后天", "本周", "这周")
"""A time is when the need is used, not what for (``下周用``)."""
"""Where a need says what it is for; the purpose is the words captured, as typed."""
