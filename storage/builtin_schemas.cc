#include "storage/builtin_schemas.h"

#include <algorithm>
#include <initializer_list>
#include <utility>
#include <vector>

namespace villagesync {
namespace {

using Values = std::initializer_list<const char*>;

// Every field states REVIEW explicitly, so a reader of the schema (or of a
// device's cached copy) never has to know what "unset" defaults to.
v1::FieldSpec Field(const char* name, v1::FieldType type,
                    const char* description) {
  v1::FieldSpec field;
  field.set_name(name);
  field.set_type(type);
  field.set_description(description);
  field.set_merge_policy(v1::MERGE_POLICY_REVIEW);
  return field;
}

v1::FieldSpec Str(const char* name, const char* description) {
  return Field(name, v1::FIELD_TYPE_STRING, description);
}

v1::FieldSpec Int(const char* name, const char* description) {
  return Field(name, v1::FIELD_TYPE_INT64, description);
}

// A number of people, households, votes...: never negative, and bounded so
// that sums in reports cannot overflow.
v1::FieldSpec Count(const char* name, const char* description) {
  v1::FieldSpec field = Int(name, description);
  field.set_min_value(0);
  field.set_max_value(1000000);
  return field;
}

// A count that cannot exceed another count of the record (present <= due).
v1::FieldSpec CountAtMost(const char* name, const char* description,
                          const char* bound) {
  v1::FieldSpec field = Count(name, description);
  field.set_at_most_field(bound);
  return field;
}

v1::FieldSpec Year(const char* name, const char* description) {
  v1::FieldSpec field = Int(name, description);
  field.set_min_value(1900);
  field.set_max_value(2200);
  return field;
}

v1::FieldSpec Bool(const char* name, const char* description) {
  return Field(name, v1::FIELD_TYPE_BOOL, description);
}

v1::FieldSpec Date(const char* name, const char* description) {
  return Field(name, v1::FIELD_TYPE_DATE, description);
}

v1::FieldSpec Money(const char* name, const char* description) {
  return Field(name, v1::FIELD_TYPE_MONEY, description);
}

v1::FieldSpec Ref(const char* name, const char* description) {
  return Field(name, v1::FIELD_TYPE_REF, description);
}

// A free list (names of people, ...): removals matter, so it stays REVIEW.
v1::FieldSpec List(const char* name, const char* description) {
  return Field(name, v1::FIELD_TYPE_STRING_LIST, description);
}

v1::FieldSpec Enum(const char* name, const char* description, Values values) {
  v1::FieldSpec field = Field(name, v1::FIELD_TYPE_ENUM, description);
  for (const char* value : values) field.add_enum_values(value);
  return field;
}

// Tags and flags from a fixed list: two people adding different tags offline
// both mean it, so the lists union instead of raising a conflict.
v1::FieldSpec Tags(const char* name, const char* description, Values values) {
  v1::FieldSpec field = List(name, description);
  for (const char* value : values) field.add_enum_values(value);
  field.set_merge_policy(v1::MERGE_POLICY_UNION);
  return field;
}

v1::FieldSpec Required(v1::FieldSpec field) {
  field.set_required(true);
  return field;
}

v1::FieldSpec Pii(v1::FieldSpec field) {
  field.set_pii(true);
  return field;
}

v1::FieldSpec WritableBy(v1::FieldSpec field, Values roles) {
  for (const char* role : roles) field.add_writable_by(role);
  return field;
}

v1::CollectionSchema Collection(const char* name, v1::CollectionKind kind,
                                const char* description, const char* purpose,
                                std::initializer_list<v1::FieldSpec> fields) {
  v1::CollectionSchema schema;
  schema.set_name(name);
  schema.set_kind(kind);
  schema.set_description(description);
  schema.set_owner("built-in");
  schema.set_purpose(purpose);
  for (const v1::FieldSpec& field : fields) *schema.add_fields() = field;
  return schema;
}

v1::CollectionSchema Mutable(const char* name, const char* description,
                             const char* purpose,
                             std::initializer_list<v1::FieldSpec> fields) {
  return Collection(name, v1::COLLECTION_KIND_MUTABLE, description, purpose,
                    fields);
}

// Events are never edited, so every append-only collection needs a way to
// say "this record replaces that one".
v1::CollectionSchema AppendOnly(const char* name, const char* description,
                                const char* purpose,
                                std::initializer_list<v1::FieldSpec> fields) {
  v1::CollectionSchema schema = Collection(
      name, v1::COLLECTION_KIND_APPEND_ONLY, description, purpose, fields);
  *schema.add_fields() = Ref("corrects", "更正的记录 the record this corrects");
  return schema;
}

// ---- Mutable profiles ----

v1::CollectionSchema OrgUnits() {
  return Mutable("org_units", "组织 party organizations",
                 "Party organizations and groups, with dated parent links.",
                 {Required(Str("name", "名称 name")),
                  Required(Enum("kind", "类型 kind",
                                {"党委", "党总支", "党支部", "党小组"})),
                  Ref("parent", "上级组织 parent organization"),
                  Date("valid_from", "生效日期 parent link effective from"),
                  Enum("grade", "分类定级 grade", {"先进", "一般", "后进"}),
                  Count("member_count", "党员人数 number of members")});
}

v1::CollectionSchema Members() {
  return Mutable(
      "members", "党员 party members", "The village party member roster.",
      {Required(Str("name", "姓名 name")),
       Enum("gender", "性别 gender", {"男", "女"}),
       Date("birth_date", "出生日期 date of birth"),
       Pii(Str("id_no", "身份证号 ID card number")),
       Pii(Str("phone", "联系电话 phone")),
       Required(Date("join_date", "入党日期 date joined")),
       Date("full_date", "转正日期 date became full member"),
       Required(Enum("status", "党籍状态 status",
                     {"预备党员", "正式党员", "停止党籍", "出党", "死亡"})),
       Str("party_group", "所在党小组 party group"),
       Str("occupation", "职业 occupation"),
       Bool("is_floating", "流动党员 working away from the village"),
       Date("floating_since", "外出日期 date left the village"),
       Str("floating_destination", "流入地 where they work now"),
       Date("last_contact_date", "最近联系 date last contacted"),
       Tags("care_flags", "关怀对象 care flags", {"老党员", "生活困难党员"})});
}

v1::CollectionSchema Households() {
  return Mutable(
      "households", "农户 households",
      "Village households, for visits, requests and monitoring tags.",
      {Required(Str("head", "户主 head of household")),
       Str("village_group", "村民小组 village group"),
       Count("size", "家庭人口 household size"),
       Tags("tags", "户类标签 household tags", {"脱贫户", "监测户", "低保户"}),
       Pii(Str("phone", "联系电话 phone")),
       Pii(Str("id_no", "户主身份证号 head's ID card number"))});
}

v1::CollectionSchema Development() {
  return Mutable(
      "development", "发展党员 member development",
      "Applicants on their way to membership, stage by stage.",
      {Required(Str("person", "姓名 applicant")),
       Required(Enum(
           "stage", "阶段 stage",
           {"入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员"})),
       Date("apply_date", "申请日期 date applied"),
       Date("talk_date", "谈话日期 date of first talk"),
       Date("activist_date", "确定积极分子日期 date made activist"),
       List("mentors", "培养联系人 mentors"),
       List("sponsors", "入党介绍人 sponsors"),
       Date("notice_start", "公示开始 public notice start"),
       Date("notice_end", "公示结束 public notice end"),
       Count("objections", "异议数 objections received"),
       Count("vote_due", "票决应到 members due to vote"),
       CountAtMost("vote_present", "票决实到 members present", "vote_due"),
       CountAtMost("vote_yes", "赞成票 votes in favour", "vote_present"),
       WritableBy(Date("approved_date", "乡镇审批日期 date approved"),
                  {"township", "admin"}),
       WritableBy(Str("approver", "审批人 approver"), {"township", "admin"})});
}

v1::CollectionSchema Matters() {
  return Mutable(
      "matters", "四议两公开 major village decisions",
      "Major decisions through the four discussions and two disclosures.",
      {Required(Str("title", "事项 title")),
       Enum("category", "类别 category",
            {"集体资产", "项目建设", "资金使用", "土地", "其他"}),
       Money("amount", "金额 amount"),
       Date("propose_date", "提议日期 proposed"),
       Ref("propose_meeting", "提议会议 proposing meeting (支委会)"),
       Date("discuss_date", "商议日期 discussed"),
       Ref("discuss_meeting", "商议会议 discussing meeting (两委联席会)"),
       Date("review_date", "审议日期 reviewed"),
       Ref("review_meeting", "审议会议 reviewing meeting (党员大会)"),
       Date("resolve_date", "决议日期 resolved"),
       Ref("resolve_meeting", "决议会议 resolving meeting (村民代表会议)"),
       Date("resolution_public_date", "决议公开日期 resolution published"),
       Date("result_public_date", "结果公开日期 result published"),
       Bool("closed", "已完结 closed after the last step")});
}

v1::CollectionSchema Projects() {
  return Mutable(
      "projects", "集体经济 collective economy projects",
      "Collective economy projects and what they earn.",
      {Required(Str("name", "项目名称 name")),
       Enum("model", "模式 model",
            {"党支部领办合作社", "村企联建", "资产租赁", "光伏", "其他"}),
       Money("investment", "投资 investment"),
       Count("households_benefited", "带动户数 households benefited"),
       Str("status", "状态 status"),
       Money("operating_income", "经营性收入 operating income"),
       Year("income_year", "收入年度 year of the income")});
}

v1::CollectionSchema Rectification() {
  return Mutable(
      "rectification", "软弱涣散整顿 rectification of weak organizations",
      "Yearly screening and rectification of weak village organizations.",
      {Required(Year("year", "排查年度 screening year")),
       Tags("problems", "问题类型 problems",
            {"瘫", "乱", "散", "软", "懒", "弱", "穷", "贪"}),
       Str("plan", "整顿方案 plan"),
       Str("county_leader", "联村县领导 county leader"),
       Str("township_leader", "包村乡镇领导 township leader"),
       Str("first_secretary", "驻村第一书记 first secretary"),
       Str("paired_unit", "结对单位 paired unit"),
       Date("deadline", "整顿期限 deadline"),
       Str("measures_done", "已落实措施 measures done"),
       WritableBy(Bool("accepted", "验收通过 accepted by the county"),
                  {"county", "admin"})});
}

v1::CollectionSchema Requests() {
  return Mutable(
      "requests", "群众诉求 villagers' requests",
      "Villagers' requests from intake to closing and follow-up.",
      {Required(Date("date", "受理日期 date received")),
       Str("household", "诉求农户 household"),
       Enum("channel", "渠道 channel",
            {"入户", "接访", "电话", "微信", "网格"}),
       Required(Str("text", "诉求内容 request")),
       Str("assignee", "承办人 assignee"),
       Enum("status", "状态 status", {"受理", "办理中", "转办", "已办结"}),
       Date("closed_date", "办结日期 date closed"),
       Date("feedback_date", "回访日期 follow-up date"),
       Str("feedback", "回访意见 follow-up result")});
}

v1::CollectionSchema TeamAssignments() {
  return Mutable(
      "team_assignments", "工作队 work-team assignments",
      "Who served in the village work team, and when.",
      {Required(Str("person", "姓名 person")),
       Required(Enum("role", "职务 role", {"第一书记", "队长", "队员"})),
       Str("sending_unit", "派出单位 sending unit"),
       Required(Date("start", "开始日期 start")),
       Date("end_date", "结束日期 end")});
}

// ---- Append-only events ----

v1::CollectionSchema Meetings() {
  return AppendOnly(
      "meetings", "会议 meetings",
      "Meetings held (三会一课, 主题党日, ...), entered once.",
      {Required(
           Enum("type", "会议类型 type",
                {"支部党员大会", "支委会", "党小组会", "党课", "主题党日",
                 "组织生活会", "民主评议党员", "两委联席会", "村民代表会议"})),
       Required(Date("date", "日期 date")),
       Required(Str("topic", "主题 topic")), Count("due", "应到 due to attend"),
       CountAtMost("present", "实到 present", "due"),
       Count("absent_work", "缺席-外出务工 absent, working away"),
       Count("absent_sick", "缺席-病 absent, sick"),
       Count("absent_leave", "缺席-事 absent, on leave"),
       Count("absent_no_reason", "缺席-无故 absent without reason"),
       Ref("matter", "关联四议两公开 related matter"),
       Str("speaker", "授课人 speaker")});
}

v1::CollectionSchema Visits() {
  return AppendOnly(
      "visits", "走访 household visits", "Visits to households.",
      {Required(Date("date", "日期 date")),
       Required(Str("household", "农户 household")),
       Enum("purpose", "目的 purpose", {"走访", "帮扶", "慰问", "宣传"}),
       Str("notes", "情况记录 notes")});
}

v1::CollectionSchema Attendance() {
  return AppendOnly(
      "attendance", "在岗 work-team attendance",
      "Daily presence of work-team members, one tap.",
      {Required(Str("person", "姓名 person")),
       Required(Date("date", "日期 date")),
       Required(Enum("state", "状态 state",
                     {"在村", "公务出差", "培训", "请假", "休息"}))});
}

v1::CollectionSchema Dues() {
  return AppendOnly(
      "dues", "党费 membership dues", "Membership dues payments.",
      {Required(Str("member", "党员 member")),
       Required(Str("months", "所属月份 months, e.g. 2024-01..2024-06")),
       Required(Money("amount", "金额 amount")),
       Date("paid_date", "交纳日期 date paid")});
}

v1::CollectionSchema Appraisals() {
  return AppendOnly("appraisals", "民主评议 member appraisals",
                    "Yearly democratic appraisal results.",
                    {Required(Year("year", "年度 year")),
                     Required(Str("member", "党员 member")),
                     Required(Enum("result", "评议结果 result",
                                   {"优秀", "合格", "基本合格", "不合格"}))});
}

v1::CollectionSchema Talks() {
  return AppendOnly("talks", "谈心谈话 heart-to-heart talks",
                    "Heart-to-heart talks held.",
                    {Required(Date("date", "日期 date")),
                     Required(List("parties", "谈话双方 parties")),
                     Str("topic", "主要内容 topic")});
}

}  // namespace

v1::SchemaSet BuiltinSchemas() {
  std::vector<v1::CollectionSchema> collections = {
      OrgUnits(), Members(),       Households(), Development(),     Matters(),
      Projects(), Rectification(), Requests(),   TeamAssignments(), Meetings(),
      Visits(),   Attendance(),    Dues(),       Appraisals(),      Talks()};
  // Sorted here rather than by hand so adding a collection cannot break the
  // order the header promises.
  std::sort(collections.begin(), collections.end(),
            [](const v1::CollectionSchema& a, const v1::CollectionSchema& b) {
              return a.name() < b.name();
            });
  v1::SchemaSet set;
  set.set_version(1);
  for (v1::CollectionSchema& schema : collections) {
    *set.add_collections() = std::move(schema);
  }
  return set;
}

}  // namespace villagesync
