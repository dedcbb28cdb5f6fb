"""The domain's words: symptoms and how people say them, negations, cues, relatives and other persons."""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    """Split a ``|``-separated word list (entries may hold spaces: ``sore throat``, ``no ``)."""
    return tuple(word for word in text.split("|") if word)


FEVER = "发热"
COUGH = "咳嗽"
FATIGUE = "乏力"
DYSPNEA = "呼吸困难"
DIARRHEA = "腹泻"
SORE_THROAT = "咽痛"
HEADACHE = "头痛"
SYMPTOMS = (FEVER, COUGH, FATIGUE, DYSPNEA, DIARRHEA, SORE_THROAT, HEADACHE)

FEVER_WORDS = words("发热|发烧|低烧|高烧|低热|高热|发高烧|烧|热度|fever|febrile")
COUGH_WORDS = words("咳嗽|干咳|咳痰|咳|cough|coughing")
FATIGUE_WORDS = words(
    "有点累|很累|好累|疲倦|没精神|没有精神|冇精神|"
    "乏力|没力气|没有力气|冇得力气|冇力气|没劲|全身没劲|浑身没劲|无力|疲乏|疲劳|四肢无力|全身无力|浑身无力|fatigue|"
    "tired|weak"
)
DYSPNEA_WORDS = words(
    "呼吸困难|喘不上气|喘不过气|喘不赢气|气促|气短|气喘|气急|呼吸急促|憋气|喘|呼吸有点困难|shortness of breath|"
    "short of breath|breathless|dyspnea"
)
DIARRHEA_WORDS = words("腹泻|拉肚子|拉稀|闹肚子|diarrhea|diarrhoea")
SORE_THROAT_WORDS = words(
    "咽喉不适|喉咙不适|嗓子不适|咽痛|"
    "嗓子疼|嗓子痛|喉咙痛|喉咙疼|咽喉痛|咽喉疼|喉咙不舒服|嗓子不舒服|咽部不适|喉咙有点痛|嗓子有点疼|sore throat"
)
HEADACHE_WORDS = words("头痛|头疼|脑壳痛|脑壳疼|脑壳有点痛|头有点痛|头有点疼|headache")
SYMPTOM_WORDS: dict[str, str] = {
    **dict.fromkeys(FEVER_WORDS, FEVER),
    **dict.fromkeys(COUGH_WORDS, COUGH),
    **dict.fromkeys(FATIGUE_WORDS, FATIGUE),
    **dict.fromkeys(DYSPNEA_WORDS, DYSPNEA),
    **dict.fromkeys(DIARRHEA_WORDS, DIARRHEA),
    **dict.fromkeys(SORE_THROAT_WORDS, SORE_THROAT),
    **dict.fromkeys(HEADACHE_WORDS, HEADACHE),
}
"""How people name the seven symptoms."""
SPLIT_SYMPTOMS: dict[str, str] = {"拉了两天肚子": DIARRHEA, "拉了肚子": DIARRHEA}

NEGATIONS = words("没有|没得|冇得|无|不|没|冇|未|否认|非|no |not |without |denies ")
NEGATION_LIST_JOINERS = "、,/和及或与跟也"
"""What may stand between symptoms one negation covers (``无发热、咳嗽``, ``不烧也不咳``)."""
NEGATED_AFTER = words("(-)|（-）|阴性")
POSITIVE_AFTER = words("(+)|（+）")
RESOLVED_AFTER = words(
    "现已正常|已正常|恢复正常|现正常|已恢复|"
    "退|已经好了|已好了|好了|已好|退了|已退|退烧了|痊愈|已消失|消失了|没了|已经退了|已经没有了|好多了了"
)
NOT_RESOLVED = words("好转")
CONDITIONALS = words("如有|如果|如出现|若有|若|一旦|如|万一|有无|是否|if |should ")
CONDITIONAL_AFTER = words("就|及时|立即|马上|随时")
PAST_BEFORE = words("昨天|前几天|前两天|之前|以前|原来|曾经|曾")
NO_COMPLAINT = words(
    "没啥事|冇啥事|无啥症状|没啥症状|没什么症状|一切ok|一切OK|无不良反应|一切安好|都挺好|没得事|"
    "未发现异常|未见明显异常|无明显异常|"
    "没得么子问题|冇得么子问题|冇得么子|没得么子|没么子事|冇么子事|没什么问题|没什么事|精神蛮好|精神好|"
    "无症状|没有症状|没症状|无不适|没有不适|无不舒服|没有不舒服|无异常|没有异常|一切正常|体温正常|都正常|其他正常|"
    "均正常|正常|蛮好|都好|很好|挺好|好着呢|冇事|冇得事|没事|都没事|没问题|身体健康|"
    "健康|无特殊|未见异常|无明显症状|呼吸正常|no symptoms|no symptom|asymptomatic|fine|all good|ok|okay|normal|"
    "温度正常|体温都正常|喉咙不痛|"
    "喉咙不疼|嗓子不痛|嗓子不疼|头不痛|头不疼|呼吸顺畅"
)
"""Health statements that say the person has none of the seven symptoms."""
OTHER_COMPLAINTS = words(
    "嗓子干|喉咙干|口干|嗓子哑|喉咙哑|声音哑|"
    "流鼻涕|流涕|鼻塞|头晕|胸闷|打喷嚏|喷嚏|肚子痛|肚子疼|肚子不舒服|喉咙痒|恶心|呕吐|眼睛痛|腰痛|失眠|runny nose"
)
"""Complaints outside the seven: a health statement that lists none of them."""
SYMPTOM_LABELS = words("症状|有无症状|symptoms")
NONE_WORDS = words("无|没有|冇|none|no|否")
RELATIONS = words(
    "妻子|丈夫|老公|老婆|老伴|爱人|儿子|女儿|孩子|小孩|母亲|父亲|妈妈|爸爸|家里老人|邻居|同事|亲戚|其妻|其夫|其子|"
    "其女|孙子|孙女|家属|另外|另一户|对门|室友|朋友|儿媳|女婿|公公|婆婆|岳父|"
    "岳母|哥哥|姐姐|弟弟|妹妹|wife|husband|son |daughter|同住人"
)
"""Words that turn a message to another person."""
SELVES = words("本人|他本人|她本人|自己|自述|他讲|她讲|他说|她说|他|她")
"""Words that turn it back to the person checked."""
EVERYONE = words("都|均|全家|全部|一家|两人|两口子|夫妇|everyone|both")
"""Words that make a statement about everyone, the person checked included."""
