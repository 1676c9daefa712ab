from planner.schema import LAYER_COLUMNS, alias_map, normalise_header, section_of_grade


def test_chinese_headers_map_to_canonical_names():
    amap = alias_map(LAYER_COLUMNS["schools"])
    assert amap[normalise_header("学校名称")] == ("name", 1.0)
    assert amap[normalise_header("小学在校生数")] == ("students_primary", 1.0)
    assert amap[normalise_header("教学及辅助用房面积")] == ("teaching_aux_area_m2", 1.0)
    # full-width brackets and spaces are normalised; 万元 carries its factor
    assert amap[normalise_header(" 教学仪器设备值（万元） ")] == ("equipment_value_yuan", 10000.0)
    assert amap[normalise_header("Students_Primary")] == ("students_primary", 1.0)


def test_every_canonical_column_has_a_distinct_chinese_header():
    for layer, cols in LAYER_COLUMNS.items():
        zh = [c.zh for c in cols]
        assert len(zh) == len(set(zh)), layer


def test_grade_sections():
    assert [section_of_grade(g) for g in (1, 6, 7, 9)] == ["primary", "primary", "junior",
                                                           "junior"]
    assert section_of_grade(6, junior_from=6) == "junior"


def test_the_data_format_page_documents_every_column_with_its_chinese_header():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "docs" / "reference"
              / "data-format.md").read_text(encoding="utf-8")
    for layer, cols in LAYER_COLUMNS.items():
        assert f"**`{layer}`**" in readme
        for col in cols:
            assert f"| `{col.name}` | {col.zh} |" in readme, col.name
