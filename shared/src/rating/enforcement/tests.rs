//! The MMSR's worked enforcement ratings (Section H #2, #5, #9, #11, the aseptic example), their
//! sub-score worksheets, and the arithmetic printed in the text.

use super::*;

fn form() -> &'static EnforcementForm {
    EnforcementForm::builtin().unwrap()
}

fn c(number: u64, complying: u64) -> ItemInput {
    ItemInput::Counts(Counts { number, complying })
}

fn de(categories: &[Category], rows: &[(u64, u64)]) -> SubScore {
    let rows: Vec<Counts> = rows
        .iter()
        .map(|(n, k)| Counts {
            number: *n,
            complying: *k,
        })
        .collect();
    section_de(categories, &rows)
}

fn sc(plant: bool, rows: &[(u32, u64, u64)]) -> SubScore {
    let rows: Vec<(u32, Counts)> = rows
        .iter()
        .map(|(i, n, k)| {
            (
                *i,
                Counts {
                    number: *n,
                    complying: *k,
                },
            )
        })
        .collect();
    section_c(form(), plant, &rows)
}

fn dec(s: &str) -> Exact {
    crate::exact::parse_decimal(s).unwrap()
}

fn rate_type(
    name: &str,
    part_i: Option<Vec<(u32, ItemInput)>>,
    part_ii: Option<Vec<(u32, ItemInput)>>,
    labeling: Option<(u64, u64)>,
) -> EnforcementRating {
    let t = form().shipper_type(name).unwrap();
    let p1 = part_i.map(|inputs| part(&form().part_i, &inputs, &[], 100).unwrap());
    let p2 = part_ii.map(|inputs| {
        part(
            &form().part_ii,
            &inputs,
            t.part_ii_omit.as_deref().unwrap_or(&[]),
            t.part_ii_divisor.unwrap_or(100),
        )
        .unwrap()
    });
    rate(
        t,
        p1,
        p2,
        labeling.map(|(n, k)| Counts {
            number: n,
            complying: k,
        }),
    )
}

/// The form's weights total 100 in Parts I and II; Section C farm 100, plant 75.
#[test]
fn form_weights() {
    assert_eq!(form().part_i.iter().map(|i| i.weight).sum::<u32>(), 100);
    assert_eq!(form().part_ii.iter().map(|i| i.weight).sum::<u32>(), 100);
    assert_eq!(form().section_c.iter().map(|i| i.weight).sum::<u32>(), 100);
    assert_eq!(
        form()
            .section_c
            .iter()
            .filter(|i| i.plant)
            .map(|i| i.weight)
            .sum::<u32>(),
        75
    );
}

/// H #3 / H #6 Section C worksheets (L3422-3544, L4075-4152): plant 67.5 / 75 → 90; farm
/// 79.17 → 79.
#[test]
fn section_c_worksheets() {
    let h3 = sc(
        true,
        &[
            (1, 2, 2),
            (2, 1, 1),
            (3, 2, 2),
            (5, 8, 6),
            (6, 6, 6),
            (8, 10, 10),
        ],
    );
    assert_eq!(h3.total, dec("67.5"));
    assert_eq!(h3.entered, 90);
    let h6_farm = sc(
        false,
        &[
            (1, 2, 2),
            (2, 1, 1),
            (3, 2, 2),
            (4, 12, 8),
            (5, 12, 6),
            (6, 6, 5),
            (7, 12, 12),
            (8, 14, 14),
        ],
    );
    assert_eq!(h6_farm.entered, 79);
    assert_eq!(
        crate::exact::to_decimal_string(&h6_farm.total, 4),
        "79.1666…"
    );
    let h6_plant = sc(
        true,
        &[
            (1, 2, 2),
            (2, 1, 1),
            (3, 2, 2),
            (5, 4, 3),
            (6, 3, 3),
            (8, 6, 6),
        ],
    );
    assert_eq!(h6_plant.entered, 90);
}

/// Sections D and E (H #4, #7, #8, #10, #12 and Appendix A): 97.6 → 98.
#[test]
fn section_d_and_e_worksheets() {
    let enf = &form().enforcement_categories;
    let rec = &form().records_categories;
    assert_eq!(
        de(enf, &[(1, 1), (1, 0), (1, 1), (1, 1), (1, 1)]).entered,
        80
    );
    assert_eq!(de(rec, &[(1, 1), (1, 0), (1, 1), (1, 1)]).entered, 75);
    let h7 = de(enf, &[(25, 25), (25, 22), (25, 25), (25, 25), (25, 25)]);
    assert_eq!(h7.total, dec("97.6"));
    assert_eq!(h7.entered, 98);
    assert_eq!(
        de(rec, &[(25, 25), (25, 23), (25, 25), (25, 25)]).entered,
        98
    );
    assert_eq!(
        de(enf, &[(1, 0), (1, 0), (1, 1), (1, 1), (1, 1)]).entered,
        60
    );
    assert_eq!(de(rec, &[(1, 1), (1, 1), (1, 0), (1, 1)]).entered, 75);
}

/// H #2, Clear Milk Dairy, milk plant with unattached supplies only (L3024-3421): 84.
#[test]
fn h2_milk_plant_only_84() {
    let part_ii = vec![
        (1, ItemInput::Complies(true)),
        (2, c(8, 8)),
        (3, ItemInput::Complies(true)),
        (4, ItemInput::PointsOff(vec![15, 5])),
        (5, c(8, 6)),
        (6, c(8, 6)),
        (7, c(5, 4)),
        (
            8,
            ItemInput::SubScore(sc(
                true,
                &[
                    (1, 2, 2),
                    (2, 1, 1),
                    (3, 2, 2),
                    (5, 8, 6),
                    (6, 6, 6),
                    (8, 10, 10),
                ],
            )),
        ),
        (
            9,
            ItemInput::SubScore(de(
                &form().enforcement_categories,
                &[(1, 1), (1, 0), (1, 1), (1, 1), (1, 1)],
            )),
        ),
        (
            10,
            ItemInput::SubScore(de(
                &form().records_categories,
                &[(1, 1), (1, 0), (1, 1), (1, 1)],
            )),
        ),
    ];
    let r = rate_type("plant_unattached_only", None, Some(part_ii), Some((5, 4)));
    // printed 84.6 from credits shown to one decimal (11.3, 3.8); exact 84.5 (AMB-1)
    assert_eq!(r.part_ii.as_ref().unwrap().total, dec("84.5"));
    assert_eq!(r.exact, dec("84.23"));
    assert_eq!(r.rating, 84);
}

/// H #5, Clear Milk Co-op, BTU shipped through a receiving station (L3631-4058): 91.
#[test]
fn h5_btu_with_receiving_station_91() {
    let part_i = vec![
        (1, c(25, 25)),
        (2, c(25, 20)),
        (3, c(25, 25)),
        (4, c(25, 20)),
        (5, ItemInput::Complies(true)),
        (6, c(25, 25)),
        (7, ItemInput::Complies(true)),
        (8, c(25, 20)),
        (9, ItemInput::Percent(79)),
        (10, ItemInput::Percent(98)),
        (11, ItemInput::Percent(98)),
    ];
    let part_ii = vec![
        (1, ItemInput::Complies(true)),
        (2, c(8, 6)),
        (3, ItemInput::Complies(true)),
        (4, ItemInput::PointsOff(vec![5, 5])),
        (6, c(8, 6)),
        (8, ItemInput::Percent(90)),
        (9, ItemInput::Percent(100)),
        (10, ItemInput::Percent(100)),
    ];
    let r = rate_type(
        "btu_with_rs_or_ts",
        Some(part_i),
        Some(part_ii),
        Some((1, 1)),
    );
    assert_eq!(r.part_i.as_ref().unwrap().total, dec("90.4"));
    let p2 = r.part_ii.as_ref().unwrap();
    assert_eq!(
        p2.total,
        dec("68"),
        "printed 68.1 from 1-decimal credits (AMB-1)"
    );
    assert_eq!(
        crate::exact::to_decimal_string(&p2.percent, 4),
        "90.6666…",
        "÷ 75, not rounded first (AMB-2)"
    );
    assert_eq!(r.rating, 91);
}

/// H #9, United Dairy, single-farm BTU (L4301-4734): 75.85 → 76.
#[test]
fn h9_single_farm_btu_76() {
    let part_i = vec![
        (1, c(1, 1)),
        (2, c(4, 3)),
        (3, c(1, 1)),
        (4, ItemInput::PointsOff(vec![1, 3, 5])),
        (5, ItemInput::Complies(true)),
        (6, c(5, 4)),
        (7, ItemInput::Complies(true)),
        (8, c(1, 0)),
        (9, ItemInput::Percent(100)),
        (
            10,
            ItemInput::SubScore(de(
                &form().enforcement_categories,
                &[(1, 0), (1, 0), (1, 1), (1, 1), (1, 1)],
            )),
        ),
        (
            11,
            ItemInput::SubScore(de(
                &form().records_categories,
                &[(1, 1), (1, 1), (1, 0), (1, 1)],
            )),
        ),
    ];
    let r = rate_type("btu_only", Some(part_i), None, None);
    assert_eq!(r.exact, dec("75.85"));
    assert_eq!(r.rating, 76);
}

/// H #11, Great Cows BTU (L4837-5303): 90.4 → 90 on the printed counts. AMB-12: the item-2
/// remark names 4 farms, not 5; with 21 of 25 the rating would be 91.
#[test]
fn h11_great_cows_btu_90() {
    let items = |item2: u64| {
        vec![
            (1, c(25, 25)),
            (2, c(25, item2)),
            (3, c(25, 25)),
            (4, c(25, 19)),
            (5, ItemInput::Complies(true)),
            (6, c(25, 21)),
            (7, ItemInput::Complies(true)),
            (8, c(25, 23)),
            (9, ItemInput::Percent(79)),
            (
                10,
                ItemInput::SubScore(de(
                    &form().enforcement_categories,
                    &[(25, 25), (25, 22), (25, 25), (25, 25), (25, 25)],
                )),
            ),
            (
                11,
                ItemInput::SubScore(de(
                    &form().records_categories,
                    &[(25, 25), (25, 25), (25, 23), (25, 25)],
                )),
            ),
        ]
    };
    let r = rate_type("btu_only", Some(items(20)), None, None);
    assert_eq!(r.exact, dec("90.4"));
    assert_eq!(r.rating, 90);
    assert_eq!(
        rate_type("btu_only", Some(items(21)), None, None).rating,
        91
    );
}

/// The aseptic plant example (L7733-7888): Part II ÷ 85 = 92.06, × .94 + 4.8 = 91.34 → 91.
#[test]
fn aseptic_plant_91() {
    let part_ii = vec![
        (1, ItemInput::Complies(true)),
        (2, c(4, 3)),
        (3, ItemInput::Complies(true)),
        (4, ItemInput::PointsOff(vec![4, 5, 1])),
        (6, c(6, 6)),
        (7, c(5, 4)),
        (8, ItemInput::Percent(100)),
        (9, ItemInput::Percent(100)),
        (10, ItemInput::Percent(100)),
    ];
    let r = rate_type("aseptic_plant_rated", None, Some(part_ii), Some((5, 4)));
    assert_eq!(r.part_ii.as_ref().unwrap().total, dec("78.25"));
    assert_eq!(
        crate::exact::to_decimal_string(&r.part_ii.as_ref().unwrap().percent, 4),
        "92.0588…"
    );
    assert_eq!(crate::exact::to_decimal_string(&r.exact, 4), "91.3352…");
    assert_eq!(r.rating, 91);
}

/// L941-953: 4 pasteurizers × 8 quarters = 32 unit-quarters; 31/32 × 15 = 14.53 (printed 14.5),
/// from the exact fraction, not 97 % × 15 = 14.55.
#[test]
fn pasteurizer_unit_quarters() {
    let line = item_line(&form().part_ii[4], &c(4 * 8, 31)).unwrap();
    assert_eq!(line.credit, dec("14.53125"));
}

/// L983-987: Part II 88.7, unattached only: 88.7 × .94 + 4.8 = 88.18 → 88.
#[test]
fn unattached_part_iii_88() {
    let t = form().shipper_type("plant_unattached_only").unwrap();
    let p2 = PartTotal {
        lines: vec![],
        total: dec("88.7"),
        divisor: 100,
        percent: dec("88.7"),
    };
    let r = rate(
        t,
        None,
        Some(p2),
        Some(Counts {
            number: 5,
            complying: 4,
        }),
    );
    assert_eq!(r.exact, dec("88.178"));
    assert_eq!(r.rating, 88);
}

#[test]
fn wrong_inputs_are_named() {
    let e = part(&form().part_i, &[(5, c(3, 2))], &[], 100).unwrap_err();
    assert!(e.contains(&ItemError::WrongInput {
        no: 5,
        mode: "all-or-nothing",
        expected: "true or false"
    }));
    assert!(e.contains(&ItemError::Missing(1)));
    assert_eq!(
        item_line(&form().part_i[0], &c(3, 4)),
        Err(ItemError::TooManyComplying {
            no: 1,
            number: 3,
            complying: 4
        })
    );
    let t = form().shipper_type("btu_with_rs_or_ts").unwrap();
    let e = part(
        &form().part_ii,
        &[(5, c(1, 1))],
        t.part_ii_omit.as_deref().unwrap(),
        75,
    )
    .unwrap_err();
    assert!(e.contains(&ItemError::NotApplicable(5)));
}

/// Part I item 7 (milking time inspection program) is credited in full until FDA guidance
/// exists (L8089-8091): entering it as not met changes neither the credit nor the rating, and
/// the line says why.
#[test]
fn the_milking_time_program_is_credited_in_full() {
    let item7 = form().part_i.iter().find(|d| d.no == 7).unwrap();
    let met = item_line(item7, &ItemInput::Complies(true)).unwrap();
    let not_met = item_line(item7, &ItemInput::Complies(false)).unwrap();
    assert_eq!(met.credit, not_met.credit);
    assert_eq!(not_met.credit, whole(5));
    assert!(met.credited_in_full.is_none());
    assert!(not_met
        .credited_in_full
        .as_deref()
        .is_some_and(|w| w.contains("L8089-8091")));
    // the only such item: every other all-or-nothing item entered false earns nothing
    for def in form().part_i.iter().chain(&form().part_ii) {
        if def.no == 7 && def.full_credit.is_some() {
            continue;
        }
        assert!(def.full_credit.is_none(), "item {}", def.no);
    }
    // the input is still checked
    assert!(item_line(item7, &c(1, 1)).is_err());
}
