"""The demo content: what the issue requires of the halls, and a loader that checks before it writes."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml
from sqlalchemy import func, select

from server.demo.loader import DEMO_DATA, DemoDataError, load, read
from server.models import Counter, Hall, ServiceItem, Zone
from server.problems import problem_text
from tests.conftest import make_app

# The services the city's 2023 service reform plan names, with the department that leads each.
REFORM_2023 = [
    ("电子证照亮证", "zwfw"),
    ("网络预约出租汽车驾驶员从业资格证核发(新发)", "jt"),
    ("巡游出租汽车驾驶员从业资格证核发(新发)", "jt"),
    ("企业开办/营业执照(微信快办)", "scjg"),
    ("失业保险金申领", "rs"),
    ("工伤保险定期待遇核定", "rs"),
    ("社会组织成立/变更/注销登记及章程核准", "mz"),
    ("劳务派遣经营许可及其变更(地址变更)", "rs"),
    ("出口退税申报", "sw"),
    ("税务首违不罚与简易处罚", "sw"),
    ("个人医保账户代缴亲属居民医保", "yb"),
    ("纳税信用修复", "sw"),
    ("跨境缴税", "sw"),
    ("数字化电子发票", "sw"),
    ("药品零售企业筹建审批与设立(验收)审批(并联办理)", "scjg"),
    ("不动产“带押过户”转移登记", "bdc"),
    ("企业住所与经营场所分离登记(一照多址)", "scjg"),
    ("建筑工程施工许可证核发+建设工程消防设计审查+防空地下室防护设计审查(三证合一)", "zj"),
    ("优抚对象医疗补助(零申报)", "tyjr"),
    ("职工生育津贴支付(免申即办)", "yb"),
    ("政务服务统一预约", "zwfw"),
]

ZONES = [
    "综合受理",
    "市场监管",
    "不动产登记",
    "税务",
    "人社",
    "医保",
    "公安",
    "交通运输",
    "住房公积金",
    "帮办代办",
    "24小时自助",
]


def bare(text: str) -> str:
    """Chinese text without punctuation, so that （）/()、/ spell the same name."""
    return re.sub(r"[^\w]", "", text)


def test_city_hall_size_and_zones(db):
    hall = db.scalar(select(Hall).where(Hall.slug == "guigang"))
    assert hall.name_zh == "贵港市政务服务中心"
    assert len(hall.floors) >= 2 and len(hall.counters) >= 40
    zone_names = [z.name_zh for z in hall.zones]
    for wanted in ZONES:
        assert any(wanted in name for name in zone_names), wanted
    assert {c.floor.level for c in hall.counters} == {f.level for f in hall.floors}, "counters on every floor"


def test_county_hall_exists_and_is_smaller(db):
    county = db.scalar(select(Hall).where(Hall.slug == "pingnan"))
    city = db.scalar(select(Hall).where(Hall.slug == "guigang"))
    assert county.name_zh == "平南县政务服务中心"
    assert 0 < len(county.counters) < len(city.counters)


def test_catalogue_has_at_least_120_services_with_full_guides(db):
    services = db.scalars(select(ServiceItem)).all()
    assert len(services) >= 120
    for s in services:
        assert s.guide is not None and s.guide.summary_zh and s.guide.summary_en, s.slug
        assert len(s.guide.steps) >= 2 and s.guide.faq, s.slug
        assert len(s.process) >= 2 and s.conditions, s.slug
        assert s.online_pc_url.startswith("https://") and s.online_mobile_url.startswith("https://"), s.slug
        assert not s.appointment_supported or s.appointment_url, s.slug


@pytest.mark.parametrize(("name", "department"), REFORM_2023)
def test_reform_service_is_at_a_counter_of_its_leading_department(db, name, department):
    matches = [s for s in db.scalars(select(ServiceItem)) if bare(name) in bare(s.name_zh)]
    assert len(matches) == 1, f"exactly one service named like {name}: {[s.name_zh for s in matches]}"
    service = matches[0]
    assert service.department.code == department
    assert service.reform_2023
    city_counters = [c for c in service.counters if c.hall.slug == "guigang"]
    assert any(c.department and c.department.code == department for c in city_counters), (
        f"{name} is handled at a {department} counter of the city hall"
    )


def test_every_service_is_handled_somewhere(db):
    orphans = db.scalars(select(ServiceItem.slug).where(~ServiceItem.counters.any())).all()
    assert orphans == []


def test_every_counter_belongs_to_a_zone_on_its_floor(db):
    rows = db.execute(select(Counter.number, Counter.floor_id, Zone.floor_id).join(Zone)).all()
    assert rows and all(counter_floor == zone_floor for _n, counter_floor, zone_floor in rows)


def test_loading_again_replaces_and_bumps_the_published_version(tmp_path):
    app = make_app(tmp_path)
    session = app.extensions["db"]()
    before = session.scalar(select(func.count(Counter.id)))
    version = session.scalar(select(Hall.published_version).where(Hall.slug == "guigang"))
    session.close()
    session = app.extensions["db"]()
    load(session)
    assert session.scalar(select(func.count(Counter.id))) == before
    assert session.scalar(select(Hall.published_version).where(Hall.slug == "guigang")) == version + 1
    session.close()


def broken_copy(tmp_path, edit) -> object:
    """A copy of the demo data with one file changed by *edit(path)*."""
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_DATA, folder)
    edit(folder)
    return folder


def _edit_hall(folder, change):
    path = folder / "halls" / "pingnan.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h["counters"][1].update(zone="nowhere"), "unknown zone nowhere"),
        (lambda h: h["counters"][1].update(services=["no-such-service"]), "unknown service no-such-service"),
        (lambda h: h["counters"].append(dict(h["counters"][0])), "duplicate counter A01"),
        (lambda h: h["scenes"][0].update(links=["nowhere"]), "links to unknown nowhere"),
        (lambda h: h["counters"][1].update(hours="no-preset"), "unknown hours preset"),
        (lambda h: h["hours"].update(mon=[["18:00", "08:00"]]), "does not end after it starts"),
        (lambda h: h["counters"][1].update(number="not a number"), "does not match"),
        (lambda h: h["counters"][1].update(status="sleeping"), "is not one of"),
        (lambda h: h.update(time_zone="Mars/Olympus"), "unknown time zone Mars/Olympus"),
        (lambda h: h.update(calendar="zz"), "no holiday calendar zz"),
        (lambda h: h["access"].update(taxi={"zh": "出租车", "en": "Taxi"}), "taxi"),
        (
            lambda h: h["counters"][1]["name"].update(zh="窗" * 101),
            "counters/A02/name_zh: 文字过长：101 个字符",
        ),
    ],
)
def test_broken_demo_data_is_reported_and_nothing_is_written(tmp_path, change, message):
    app = make_app(tmp_path)
    session = app.extensions["db"]()
    before = session.scalar(select(Hall.published_version).where(Hall.slug == "pingnan"))
    session.rollback()  # load() runs its own transaction
    folder = broken_copy(tmp_path, lambda f: _edit_hall(f, change))
    with pytest.raises(DemoDataError) as caught:
        load(session, folder)
    assert any(message in problem_text(p) for p in caught.value.problems), caught.value.problems
    session.close()
    session = app.extensions["db"]()
    assert session.scalar(select(Hall.published_version).where(Hall.slug == "pingnan")) == before
    session.close()


def test_read_accepts_the_shipped_demo_data():
    data = read()
    assert len(data["halls"]) == 2 and len(data["services"]) >= 120


def test_demo_command_reports_problems_and_exits_non_zero(tmp_path):
    app = make_app(tmp_path, demo=False)
    folder = broken_copy(
        tmp_path, lambda f: (f / "departments.yaml").write_text("- {id: X}\n", encoding="utf-8")
    )
    result = app.test_cli_runner().invoke(args=["demo", "--data", str(folder)])
    assert result.exit_code != 0
    assert "departments.yaml" in result.output
    session = app.extensions["db"]()
    assert session.scalar(select(func.count(Hall.id))) == 0
    session.close()


HAN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # Han characters and full-width punctuation


def test_what_the_guide_shows_of_the_catalogue_is_in_english_too():
    """Every material's name and notes and every fee's name and unit have an English side without Chinese."""
    english = []
    for service in read()["services"]:
        for material in service["materials"]:
            english += [material["name"]["en"], material.get("notes", {}).get("en", "")]
        for fee in service["fees"].get("items", []):
            english += [fee["name"]["en"], fee["unit"]["en"]]
    assert len(english) > 1000
    assert [text for text in english if HAN.search(text)] == []


def test_a_material_without_english_is_refused(tmp_path):
    def edit(folder):
        path = folder / "services" / "zj.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data[0]["materials"][0]["name"] = data[0]["materials"][0]["name"]["zh"]
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    app = make_app(tmp_path)
    session = app.extensions["db"]()
    with pytest.raises(DemoDataError) as caught:
        load(session, broken_copy(tmp_path, edit))
    assert any("materials" in problem_text(p) for p in caught.value.problems), caught.value.problems
    session.close()


def test_every_condition_and_process_step_is_in_chinese_and_english():
    """Each service's conditions and official process steps (name and description): Chinese on the zh side,
    and an English side that is not empty and holds no Han character or full-width punctuation."""
    pairs = []
    for service in read()["services"]:
        pairs += [(service["id"], c) for c in service["conditions"]]
        for step in service["process"]:
            pairs += [(service["id"], step["name"]), (service["id"], step["description"])]
    assert len(pairs) > 1500
    assert [(sid, p) for sid, p in pairs if not HAN.search(p["zh"])] == []
    assert [(sid, p) for sid, p in pairs if not p["en"].strip() or HAN.search(p["en"])] == []


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda s: s["conditions"].__setitem__(0, s["conditions"][0]["zh"]), "conditions"),
        (lambda s: s["conditions"][0].update(en=""), "conditions"),
        (lambda s: s["process"][0]["description"].pop("en"), "process"),
    ],
)
def test_a_condition_or_step_without_english_is_refused(tmp_path, edit, where):
    def change(folder):
        path = folder / "services" / "zwfw.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data[0])
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    with pytest.raises(DemoDataError) as caught:
        read(broken_copy(tmp_path, change))
    assert any(where in problem_text(p) for p in caught.value.problems), caught.value.problems
