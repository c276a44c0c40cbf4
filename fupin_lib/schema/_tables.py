"""The canonical tables: households, members, verifications, postings,
trainings and placements.

Each household and member row belongs to one county and one year: the clean
data lives in ``data/clean/<county_code>/<year>/<table>.parquet``. The Chinese
headers are those of the national systems' exports (the 2014–2020 roster and
the monitoring system's full-field export); `aliases` lists the variants seen
in real files.
"""

from __future__ import annotations

from ._columns import Column as C
from ._columns import Table

__all__ = [
    "HOUSEHOLDS",
    "MEMBERS",
    "VERIFICATIONS",
    "POSTINGS",
    "TRAININGS",
    "PLACEMENTS",
    "TABLES",
    "RELATIONS",
    "HEALTH_VALUES",
    "LABOR_SKILLS",
    "EDUCATION_LEVELS",
    "SCHOOL_STATUSES",
    "WORK_STATUSES",
    "MONITORING_CATEGORIES",
    "RISK_TYPES",
    "POVERTY_CAUSES",
    "EXIT_STATUSES",
    "POVERTY_ATTRIBUTES",
    "EMPLOYMENT_CHANNELS",
    "POSTING_CHANNELS",
    "SATISFACTION_LEVELS",
    "ETHNICITIES",
    "MEASURE_COLUMNS",
]

# --- allowed values -------------------------------------------------------

RELATIONS = (
    "户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之外孙子",
    "之外孙女", "之父", "之母", "之岳父", "之岳母", "之公公", "之婆婆", "之祖父", "之祖母",
    "之曾孙子", "之曾孙女", "之兄弟姐妹", "之侄儿", "之侄女", "其他",
)
HEALTH_VALUES = ("健康", "长期慢性病", "患有大病", "残疾")
LABOR_SKILLS = ("技能劳动力", "普通劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
EDUCATION_LEVELS = ("文盲或半文盲", "小学", "初中", "高中", "中专", "大专", "本科及以上")
SCHOOL_STATUSES = (
    "学龄前儿童", "学前教育", "小学一年级", "小学二年级", "小学三年级", "小学四年级",
    "小学五年级", "小学六年级", "七年级", "八年级", "九年级", "普通高中一年级",
    "普通高中二年级", "普通高中三年级", "中职一年级", "中职二年级", "中职三年级",
    "高职高专一年级", "高职高专二年级", "高职高专三年级", "本科一年级", "本科二年级",
    "本科三年级", "本科四年级", "本科五年级", "硕士研究生", "博士研究生", "辍学", "其他",
)
WORK_STATUSES = ("乡（镇）内务工", "乡（镇）外县内务工", "县外省内务工", "省外务工", "未务工")
EMPLOYMENT_CHANNELS = ("外出务工", "本地企业", "帮扶车间", "产业基地", "公益性岗位", "以工代赈", "自主创业", "灵活就业")
POSTING_CHANNELS = ("企业", "扶贫车间", "产业基地", "公益性岗位", "以工代赈")
MONITORING_CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
RISK_TYPES = (
    "因病", "因学", "因残", "因自然灾害", "因意外事故", "因产业项目失败", "因务工就业不稳",
    "缺劳动力", "因安全住房", "因安全饮水", "其他",
)
POVERTY_CAUSES = (
    "因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金",
    "交通条件落后", "自身发展动力不足", "其他",
)
EXIT_STATUSES = ("未脱贫", "已脱贫（享受政策）", "已脱贫（不再享受政策）", "返贫")
POVERTY_ATTRIBUTES = ("一般贫困户", "低保贫困户", "特困供养贫困户", "低保户", "五保户", "一般农户")
SATISFACTION_LEVELS = ("满意", "基本满意", "不满意")
ETHNICITIES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族",
    "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族",
    "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族",
    "基诺族",
)

# --- shared column groups -------------------------------------------------

_AREA = (
    C("province_code", "省代码", aliases=("省级代码",)),
    C("province", "省", aliases=("省(自治区、直辖市)", "省份", "省级")),
    C("city_code", "市代码", aliases=("市级代码",)),
    C("city", "市", aliases=("市(州、盟)", "地市", "市级", "市(地、州、盟)")),
    C("county_code", "县代码", aliases=("县级代码", "区县代码")),
    C("county", "县", aliases=("县(市、区、旗)", "县(市、区)", "县市区", "区县", "县级", "县(区)")),
    C("township_code", "乡代码", aliases=("乡镇代码", "乡级代码")),
    C("township", "乡", aliases=("乡(镇)", "乡镇", "乡(镇、街道)", "镇", "乡镇(街道)", "乡级")),
    C("village_code", "村代码", aliases=("行政村代码", "村级代码")),
    C("village", "村", aliases=("行政村", "村(社区)", "村级")),
    C("natural_village", "自然村", aliases=("自然村(组)", "村民小组")),
)

_YEAR = C("year", "年度", "int", aliases=("年份", "数据年度", "统计年度"))

MEASURE_COLUMNS = (
    C("measure_industry", "产业帮扶", "bool"),
    C("measure_employment", "就业帮扶", "bool"),
    C("measure_public_job", "公益岗位帮扶", "bool", aliases=("公益性岗位帮扶",)),
    C("measure_finance", "金融帮扶", "bool", aliases=("小额信贷",)),
    C("measure_health", "健康帮扶", "bool"),
    C("measure_education", "教育帮扶", "bool", aliases=("雨露计划",)),
    C("measure_compulsory_education", "义务教育保障", "bool"),
    C("measure_housing", "住房安全保障", "bool", aliases=("危房改造",)),
    C("measure_water", "饮水安全保障", "bool"),
    C("measure_social_protection", "综合保障", "bool", aliases=("综合保障性扶贫",)),
    C("measure_dibao", "享受低保", "bool", aliases=("低保兜底",)),
    C("measure_tekun_support", "特困供养", "bool"),
    C("measure_disability_allowance", "残疾人补贴", "bool", aliases=("残疾人两项补贴",)),
    C("measure_social_assistance", "社会帮扶", "bool"),
    C("measure_relocation", "易地扶贫搬迁", "bool", aliases=("搬迁",)),
    C("measure_transport_subsidy", "外出务工交通补贴", "bool", aliases=("跨省务工交通补贴",)),
)

HOUSEHOLDS = Table(
    name="households",
    zh="户信息",
    key=("household_no",),
    columns=(
        _YEAR,
        *_AREA,
        C("household_no", "户编号", required=True, aliases=("户号", "家庭编号")),
        C("head_name", "户主姓名", pii=True),
        C("head_id_number", "户主证件号码", pii=True, aliases=("户主身份证号", "户主身份证号码")),
        C("phone", "联系电话", pii=True, aliases=("户主联系电话", "联系方式", "电话")),
        C("address", "家庭住址", pii=True, aliases=("住址", "详细地址")),
        C("household_size", "家庭人口数", "int", aliases=("人数", "家庭人口", "户人数")),
        C("household_type", "户类型", "category", allowed=("脱贫户", "一般农户", "贫困户"), aliases=("户类别",)),
        C("poverty_attribute", "贫困户属性", "category", allowed=POVERTY_ATTRIBUTES, aliases=("户属性",)),
        C("exit_status", "脱贫属性", "category", allowed=EXIT_STATUSES, aliases=("脱贫状态", "脱贫标志")),
        C("exit_year", "脱贫年度", "int", aliases=("脱贫年份",)),
        C("main_poverty_cause", "主要致贫原因", "category", allowed=POVERTY_CAUSES),
        C("monitoring_category", "监测对象类别", "category", allowed=MONITORING_CATEGORIES, aliases=("监测类型", "监测对象类型")),
        C("identified_ym", "识别监测时间", "ym", aliases=("纳入监测时间", "识别时间")),
        C("eliminated_ym", "消除监测时间", "ym", aliases=("风险消除时间", "消除时间")),
        C("risk_1", "致贫返贫风险1", "category", allowed=RISK_TYPES, aliases=("致贫/返贫风险1", "风险类型1", "返贫致贫风险1")),
        C("risk_2", "致贫返贫风险2", "category", allowed=RISK_TYPES, aliases=("致贫/返贫风险2", "风险类型2", "返贫致贫风险2")),
        C("risk_3", "致贫返贫风险3", "category", allowed=RISK_TYPES, aliases=("致贫/返贫风险3", "风险类型3", "返贫致贫风险3")),
        C("risk_4", "致贫返贫风险4", "category", allowed=RISK_TYPES, aliases=("致贫/返贫风险4", "风险类型4", "返贫致贫风险4")),
        C("risk_5", "致贫返贫风险5", "category", allowed=RISK_TYPES, aliases=("致贫/返贫风险5", "风险类型5", "返贫致贫风险5")),
        C("risk_other_note", "其他风险备注", aliases=("其他备注", "风险其他备注")),
        C("risk_eliminated", "风险是否已消除", "bool", aliases=("是否消除风险",)),
        C("elimination_method", "风险消除方式", "category", allowed=("帮扶消除", "自然消除")),
        C("sudden_hardship", "是否突发严重困难", "bool", aliases=("突发严重困难",),
          description="A sudden event (illness, disaster, accident) hit the household this year."),
        C("unsafe_house", "是否危房户", "bool", aliases=("危房户",)),
        C("house_grade", "危房等级", "category", allowed=("A级", "B级", "C级", "D级")),
        C("safe_drinking_water", "是否解决安全饮用水", "bool", aliases=("饮水安全", "是否饮水安全")),
        C("drinking_water_difficulty", "饮水困难", "bool", aliases=("是否饮水困难",)),
        C("has_electricity", "是否通生活用电", "bool", aliases=("通生活用电",)),
        C("sanitary_toilet", "有无卫生厕所", "bool", aliases=("是否有卫生厕所",)),
        C("road_type", "入户路类型", "category", allowed=("泥土路", "砂石路", "水泥路", "柏油路", "其他")),
        C("house_area", "住房面积", "float", aliases=("住房面积(平方米)",)),
        C("food_clothing_secured", "两不愁", "bool", aliases=("是否实现两不愁",)),
        C("compulsory_education_secured", "义务教育有保障", "bool", aliases=("义务教育是否有保障",)),
        C("basic_medical_secured", "基本医疗有保障", "bool", aliases=("基本医疗是否有保障",)),
        C("housing_secured", "住房安全有保障", "bool", aliases=("住房安全是否有保障",)),
        C("whole_household_no_labor", "整户无劳动能力兜底保障户", "bool", aliases=("是否整户无劳动能力",)),
        C("helper_name", "帮扶责任人姓名", pii=True, aliases=("帮扶责任人",)),
        C("helper_unit", "帮扶责任人单位", aliases=("帮扶单位",)),
        C("helper_title", "帮扶责任人职务"),
        C("helper_phone", "帮扶责任人电话", pii=True, aliases=("帮扶责任人联系电话",)),
        *MEASURE_COLUMNS,
        C("wage_income", "工资性收入", "money"),
        C("public_job_income", "公益性岗位收入", "money", aliases=("其中:公益性岗位收入",)),
        C("business_income", "生产经营性收入", "money"),
        C("property_income", "财产性收入", "money"),
        C("dividend_income", "资产收益扶贫分红收入", "money", aliases=("其中:资产收益扶贫分红收入",)),
        C("transfer_income", "转移性收入", "money"),
        C("pension_income", "养老金", "money", aliases=("养老保险金", "其中:养老金")),
        C("dibao_income", "低保金", "money", aliases=("其中:低保金",)),
        C("tekun_income", "特困供养金", "money", aliases=("其中:特困供养金",)),
        C("eco_compensation_income", "生态补偿金", "money", aliases=("其中:生态补偿金",)),
        C("family_planning_income", "计划生育金", "money", aliases=("其中:计划生育金",)),
        C("claim_income", "理赔收入", "money"),
        C("business_expense", "生产经营性支出", "money"),
        C("net_income", "纯收入", "money", aliases=("家庭纯收入", "年纯收入")),
        C("net_income_per_capita", "人均纯收入", "money", aliases=("家庭人均纯收入",)),
        C("compliant_expense", "合规自付支出", "money", aliases=("合规自付支出(元)",),
          description="Out-of-pocket rigid expenditure after insurance and aid: medical and education."),
        C("medical_expense", "医疗自付支出", "money", aliases=("其中:医疗支出",)),
        C("education_expense", "教育支出", "money", aliases=("其中:教育支出",)),
        C("post_net_income", "风险消除后纯收入", "money"),
        C("post_net_income_per_capita", "风险消除后人均纯收入", "money"),
        C("post_housing_secured", "风险消除后住房安全有保障", "bool"),
        C("post_medical_secured", "风险消除后基本医疗有保障", "bool"),
        C("post_education_secured", "风险消除后义务教育有保障", "bool"),
        C("post_safe_drinking_water", "风险消除后饮水安全", "bool"),
        C("longitude", "经度", "float"),
        C("latitude", "纬度", "float"),
    ),
)

MEMBERS = Table(
    name="members",
    zh="成员信息",
    key=("id_number",),
    columns=(
        _YEAR,
        C("county_code", "县代码", aliases=("县级代码", "区县代码")),
        C("household_no", "户编号", required=True, aliases=("户号", "家庭编号")),
        C("person_no", "人编号", aliases=("人员编号", "成员编号")),
        C("name", "姓名", pii=True, aliases=("成员姓名", "人员姓名")),
        C("sex", "性别", "category", allowed=("男", "女")),
        C("birth_date", "出生日期", "date", aliases=("出生年月", "出生年月日")),
        C("id_type", "证件类型", "category", allowed=("居民身份证", "残疾人证", "户口簿", "其他")),
        C("id_number", "证件号码", required=True, pii=True, aliases=("身份证号", "身份证号码", "公民身份号码", "证件号")),
        C("relation_to_head", "与户主关系", "category", allowed=RELATIONS, required=True),
        C("ethnicity", "民族", "category", allowed=ETHNICITIES),
        C("education", "文化程度", "category", allowed=EDUCATION_LEVELS),
        C("school_status", "在校生状况", "category", allowed=SCHOOL_STATUSES, aliases=("在校生情况",)),
        C("dropout_reason", "辍学原因", "category", allowed=("因病", "因残", "因贫", "厌学", "其他")),
        C("health", "健康状况", "category", allowed=HEALTH_VALUES, multi=True),
        C("disability_type", "残疾类别", "category", allowed=("视力", "听力", "言语", "肢体", "智力", "精神", "多重")),
        C("disability_grade", "残疾等级", "category", allowed=("一级", "二级", "三级", "四级")),
        C("disability_cert_no", "残疾证号", pii=True, aliases=("残疾人证号",)),
        C("labor_skill", "劳动技能", "category", allowed=LABOR_SKILLS),
        C("work_status", "务工状况", "category", allowed=WORK_STATUSES),
        C("work_months", "务工时间", "float", aliases=("务工时间(月)", "务工时间（月）", "务工月数")),
        C("work_place", "务工所在地", aliases=("务工地点",)),
        C("work_county_code", "务工所在县代码"),
        C("employer", "务工企业名称", aliases=("就业单位", "务工单位")),
        C("employment_channel", "就业渠道", "category", allowed=EMPLOYMENT_CHANNELS),
        C("monthly_wage", "月工资", "money", aliases=("月均工资", "务工月收入")),
        C("public_job_type", "公益性岗位类型", aliases=("公益性岗位",)),
        C("public_job_months", "公益性岗位月数", "float", aliases=("公益性岗位(月数)",)),
        C("in_resident_medical", "是否参加城乡居民基本医疗保险", "bool", aliases=("参加城乡居民基本医疗保险", "参加大病医疗")),
        C("in_employee_medical", "是否参加城镇职工基本医疗保险", "bool", aliases=("参加城镇职工基本医疗保险",)),
        C("in_serious_illness_insurance", "是否参加大病保险", "bool", aliases=("参加大病保险",)),
        C("in_basic_pension", "是否参加城乡居民基本养老保险", "bool", aliases=("是否参加基本养老保险", "参加养老保险")),
        C("medical_aid", "是否享受医疗救助", "bool", aliases=("享受医疗救助", "大病医疗救助")),
        C("dibao", "是否享受低保", "bool", aliases=("享受低保",)),
        C("tekun", "是否特困供养人员", "bool", aliases=("特困供养人员",)),
        C("worked_away", "是否已外出务工", "bool"),
        C("plans_work_away", "是否计划外出务工", "bool"),
        C("service_need", "就业服务需求", aliases=("就业需求",)),
        C("work_intention", "务工意愿", "category",
          allowed=("乡镇内", "县内", "县外省内", "省外", "无"),
          description="Where the laborer is willing to work."),
        C("expected_wage", "期望月工资", "money", aliases=("期望工资",)),
        C("skills", "技能特长", aliases=("专业技能", "技能")),
        C("past_work", "过往工作经历", aliases=("工作经历", "从业经历")),
        C("phone", "联系电话", pii=True, aliases=("本人联系电话", "手机号码")),
    ),
)

VERIFICATIONS = Table(
    name="verifications",
    zh="核查记录",
    key=("household_no", "verify_date"),
    columns=(
        _YEAR,
        C("county_code", "县代码"),
        C("household_no", "户编号", required=True, aliases=("户号",)),
        C("verify_date", "核查日期", "date", required=True, aliases=("核查时间", "入户日期")),
        C("checker_name", "核查人", pii=True, aliases=("核查人员", "核查人姓名")),
        C("checker_unit", "核查人单位", aliases=("核查单位",)),
        C("population_matches", "人口与登记一致", "bool", aliases=("家庭人口是否一致",)),
        C("food_clothing_ok", "两不愁是否实现", "bool", aliases=("吃穿不愁",)),
        C("education_ok", "义务教育是否保障", "bool"),
        C("medical_ok", "基本医疗是否保障", "bool"),
        C("housing_ok", "住房安全是否保障", "bool"),
        C("water_ok", "饮水安全是否保障", "bool"),
        C("income_verified", "收入是否核实", "bool", aliases=("收入核实",)),
        C("verified_income_per_capita", "核实人均纯收入", "money"),
        C("measures_implemented", "帮扶措施是否落实", "bool", aliases=("明白卡措施是否落实",)),
        C("helper_visited", "帮扶责任人是否走访", "bool"),
        C("suspected_ineligible", "是否疑似不符合条件", "bool"),
        C("satisfaction", "满意度", "category", allowed=SATISFACTION_LEVELS, aliases=("群众满意度",)),
        C("problems_found", "是否发现问题", "bool"),
        C("problem_type", "问题类型"),
        C("problem_description", "问题描述", aliases=("存在问题",)),
    ),
)

POSTINGS = Table(
    name="postings",
    zh="岗位信息",
    key=("posting_id",),
    columns=(
        _YEAR,
        C("posting_id", "岗位编号", required=True),
        C("county_code", "县代码"),
        C("township_code", "乡代码"),
        C("township", "乡", aliases=("乡镇",)),
        C("village_code", "村代码"),
        C("employer", "用工单位", aliases=("企业名称", "单位名称")),
        C("channel", "岗位渠道", "category", allowed=POSTING_CHANNELS, aliases=("岗位类型", "渠道")),
        C("title", "岗位名称", aliases=("岗位",)),
        C("description", "岗位描述", aliases=("工作内容",)),
        C("location", "工作地点"),
        C("longitude", "经度", "float"),
        C("latitude", "纬度", "float"),
        C("min_age", "最低年龄", "int"),
        C("max_age", "最高年龄", "int"),
        C("physical_demand", "体力要求", "category", allowed=("轻", "中", "重")),
        C("skills_required", "技能要求"),
        C("min_education", "最低学历", "category", allowed=EDUCATION_LEVELS),
        C("monthly_wage", "月工资", "money", aliases=("薪酬", "工资")),
        C("openings", "招聘人数", "int", aliases=("岗位数", "空缺数")),
        C("meals_provided", "是否包吃", "bool", aliases=("包吃",)),
        C("housing_provided", "是否包住", "bool", aliases=("包住",)),
    ),
)

TRAININGS = Table(
    name="trainings",
    zh="培训信息",
    key=("training_id",),
    columns=(
        _YEAR,
        C("training_id", "培训编号", required=True),
        C("county_code", "县代码"),
        C("township_code", "乡代码"),
        C("name", "培训名称"),
        C("program", "培训项目", "category", allowed=("粤菜师傅", "南粤家政", "广东技工", "农村电商", "种养技术", "其他")),
        C("skill", "培训技能", aliases=("技能",)),
        C("location", "培训地点"),
        C("start_date", "开始日期", "date"),
        C("end_date", "结束日期", "date"),
        C("capacity", "名额", "int", aliases=("培训人数",)),
        C("subsidy", "补贴金额", "money", aliases=("补贴",)),
    ),
)

PLACEMENTS = Table(
    name="placements",
    zh="就业安置记录",
    key=("id_number", "posting_id"),
    columns=(
        _YEAR,
        C("county_code", "县代码"),
        C("household_no", "户编号", required=True),
        C("id_number", "证件号码", required=True, pii=True, aliases=("身份证号",)),
        C("posting_id", "岗位编号", required=True),
        C("offer_date", "推荐日期", "date"),
        C("accepted", "是否接受", "bool"),
        C("months_kept", "在岗月数", "float"),
        C("still_employed", "是否仍在岗", "bool"),
    ),
)

TABLES = {t.name: t for t in (HOUSEHOLDS, MEMBERS, VERIFICATIONS, POSTINGS, TRAININGS, PLACEMENTS)}
