//! Mermaid output of `cutover plan`: a `Plan` in, a `flowchart` out that GitHub renders in
//! Markdown — one subgraph per wave, tables as cylinders, component → table edges with
//! their counts, dotted import edges. Node ids are generated (`c0`, `t0`) so any name is
//! safe; labels are quoted with Mermaid's entity codes for quotes and angle brackets.

use crate::plan::Plan;
use anyhow::Result;
use std::collections::BTreeMap;
use std::io::Write;

/// A quoted Mermaid label.
fn label(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' => out.push_str("<br/>"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Write the plan as a Mermaid flowchart.
pub fn write(plan: &Plan, out: &mut dyn Write) -> Result<()> {
    let comp_ids: BTreeMap<&str, String> = plan
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), format!("c{i}")))
        .collect();
    let table_ids: BTreeMap<&str, String> = plan
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), format!("t{i}")))
        .collect();
    writeln!(out, "flowchart LR")?;
    for (i, wave) in plan.waves.iter().enumerate() {
        writeln!(
            out,
            "  subgraph w{}[{}]",
            i + 1,
            label(&format!("Wave {}", i + 1))
        )?;
        for name in wave {
            if let (Some(c), Some(id)) = (plan.component(name), comp_ids.get(name.as_str())) {
                let kind = c.kind.map_or("unknown kind", |k| k.as_str());
                writeln!(out, "    {id}[{}]", label(&format!("{}\n{kind}", c.name)))?;
            }
        }
        writeln!(out, "  end")?;
    }
    for t in &plan.tables {
        if let Some(id) = table_ids.get(t.name.as_str()) {
            writeln!(out, "  {id}[({})]", label(&t.name))?;
        }
    }
    for c in &plan.components {
        let Some(from) = comp_ids.get(c.name.as_str()) else {
            continue;
        };
        for (t, u) in &c.usage {
            let Some(to) = table_ids.get(t.as_str()) else {
                continue;
            };
            let mut parts = Vec::new();
            if u.writes > 0 {
                parts.push(format!("writes {}", u.writes));
            }
            if u.reads > 0 {
                parts.push(format!("reads {}", u.reads));
            }
            if u.ddl > 0 {
                parts.push(format!("ddl {}", u.ddl));
            }
            let arrow = if u.writes > 0 { "==>" } else { "-->" };
            writeln!(out, "  {from} {arrow}|{}| {to}", label(&parts.join(", ")))?;
        }
    }
    let drawn = |n: &str| !plan.unaffected.iter().any(|u| u == n);
    for l in plan
        .imports
        .iter()
        .filter(|l| drawn(&l.from) && drawn(&l.to))
    {
        if let (Some(from), Some(to)) = (comp_ids.get(l.from.as_str()), comp_ids.get(l.to.as_str()))
        {
            writeln!(
                out,
                "  {from} -.->|{}| {to}",
                label(&format!("{} ({})", l.how, l.count))
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_escape_special_characters() {
        assert_eq!(
            label("a \"b\" <c> #1"),
            "\"a #quot;b#quot; #lt;c#gt; #35;1\""
        );
        assert_eq!(label("x\ny"), "\"x<br/>y\"");
    }
}
