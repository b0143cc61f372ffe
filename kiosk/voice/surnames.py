"""The ~300 most common first characters of Chinese surnames, with their pinyin.

A name is spoken as its first character plus 先生/女士 at most (kiosk/domain/masking.py,
``spoken_name``); only these characters have a pre-rendered clip, so any other first
character falls back to the neutral form. Pinyin is without tones, as an English voice
reads it ("Mr. Zhang"). Written for this project from the common-surname lists.
"""

from __future__ import annotations

_TABLE = """
王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma 朱zhu 胡hu 郭guo
何he 林lin 高gao 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu 韩han 冯feng 邓deng 曹cao 彭peng
曾zeng 肖xiao 田tian 董dong 潘pan 袁yuan 蔡cai 蒋jiang 余yu 于yu 杜du 叶ye 程cheng 魏wei 苏su 吕lv
丁ding 任ren 卢lu 姚yao 沈shen 钟zhong 姜jiang 崔cui 谭tan 陆lu 范fan 汪wang 廖liao 石shi 金jin 韦wei
贾jia 夏xia 付fu 方fang 邹zou 熊xiong 白bai 孟meng 秦qin 邱qiu 侯hou 江jiang 尹yin 薛xue 闫yan 段duan
雷lei 龙long 黎li 史shi 陶tao 贺he 毛mao 郝hao 顾gu 龚gong 邵shao 万wan 钱qian 严yan 赖lai 覃qin
洪hong 武wu 莫mo 孔kong 汤tang 向xiang 常chang 温wen 康kang 施shi 文wen 牛niu 樊fan 葛ge 邢xing 安an
齐qi 易yi 乔qiao 伍wu 庞pang 颜yan 倪ni 庄zhuang 聂nie 章zhang 鲁lu 岳yue 翟zhai 殷yin 詹zhan 申shen
欧ou 耿geng 关guan 兰lan 焦jiao 俞yu 左zuo 柳liu 甘gan 祝zhu 包bao 宁ning 尚shang 符fu 舒shu 阮ruan
柯ke 纪ji 梅mei 童tong 凌ling 毕bi 单shan 季ji 裴pei 霍huo 涂tu 成cheng 苗miao 谷gu 盛sheng 曲qu
翁weng 冉ran 骆luo 蓝lan 路lu 游you 辛xin 靳jin 管guan 柴chai 蒙meng 鲍bao 华hua 喻yu 祁qi 蒲pu
房fang 滕teng 屈qu 饶rao 解xie 牟mou 艾ai 尤you 阳yang 时shi 穆mu 农nong 司si 卓zhuo 古gu 吉ji
缪miao 简jian 车che 项xiang 连lian 芦lu 麦mai 褚chu 娄lou 窦dou 戚qi 岑cen 景jing 党dang 宫gong
费fei 卜bu 冷leng 晏yan 席xi 卫wei 米mi 柏bai 宗zong 瞿qu 桂gui 全quan 佟tong 应ying 臧zang 闵min
苟gou 邬wu 边bian 卞bian 姬ji 师shi 和he 仇qiu 栾luan 隋sui 商shang 刁diao 沙sha 荣rong 巫wu 寇kou
桑sang 郎lang 甄zhen 丛cong 仲zhong 虞yu 敖ao 巩gong 明ming 佘she 池chi 查zha 麻ma 苑yuan 迟chi
邝kuang 官guan 封feng 谈tan 匡kuang 鞠ju 惠hui 荆jing 乐yue 冀ji 郁yu 胥xu 南nan 班ban 储chu 原yuan
栗li 燕yan 楚chu 鄢yan 劳lao 谌chen 奚xi 皮pi 粟su 冼xian 蔺lin 楼lou 盘pan 满man 闻wen 位wei
厉li 伊yi 仝tong 区ou 郜gao 海hai 阚kan 花hua 权quan 强qiang 帅shuai 屠tu 豆dou 朴piao 盖ge 练lian
廉lian 禹yu 井jing 祖zu 漆qi 巴ba 丰feng 支zhi 卿qing 国guo 狄di 平ping 计ji 索suo 宣xuan 晋jin
相xiang 初chu 门men 云yun 容rong 敬jing 来lai 扈hu 晁chao 芮rui 都du 普pu 阙que 浦pu 戈ge 伏fu
鹿lu 薄bo 邸di 雍yong 辜gu 羊yang 阿a 乌wu 母mu 裘qiu 亓qi 修xiu 邰tai 赫he 杭hang 况kuang
那na 宿su 鲜xian 印yin 逯lu 隆long 茹ru 诸zhu 战zhan 慕mu 危wei 玉yu 银yin 亢kang 嵇ji 公gong
哈ha 湛zhan 宾bin 戴dai 尉wei 欧阳ouyang
"""


def _parse(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in text.split():
        i = next(n for n, ch in enumerate(token) if ch.isascii())
        char, pinyin = token[:i], token[i:]
        if len(char) == 1:  # compound surnames are spoken by their first character only
            out.setdefault(char, pinyin.capitalize().replace("Lv", "Lyu"))
    return out


# Surnames read differently from the character's everyday reading: the Mandarin voice is
# given a character that sounds like the surname (单 is Shàn as a surname, not dān).
SOUNDS_LIKE = {"单": "善", "解": "谢", "查": "渣", "仇": "求", "朴": "瓢", "盖": "葛", "区": "欧", "乐": "月",
               "覃": "秦", "缪": "妙", "曾": "增", "翟": "宅", "冼": "显", "宿": "素", "阚": "看", "薄": "博",
               "尉": "卫"}
MAX_SURNAMES = 300
SURNAMES: dict[str, str] = dict(list(_parse(_TABLE).items())[:MAX_SURNAMES])  # the table is in frequency order
