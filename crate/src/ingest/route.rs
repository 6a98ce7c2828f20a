//! Routing a landing file to its source by its path: the file name first, then the nearest
//! folder (`landing/customer/x.json`, `accelerometer-1691348231445.json`, `step_trainer/…`).
//! Files whose path says nothing are routed later by their first record's keys.

use crate::model::Source;

/// The source a path names, looking at the file name and then each folder from the deepest up.
pub fn by_path(path: &str) -> Option<Source> {
    path.rsplit(['/', '\\']).find_map(by_component)
}

fn by_component(part: &str) -> Option<Source> {
    let p = part.to_ascii_lowercase().replace(['-', ' '], "_");
    if p.contains("step_trainer") || p.contains("steptrainer") {
        Some(Source::StepTrainer)
    } else if p.contains("accelerometer") {
        Some(Source::Accelerometer)
    } else if p.contains("customer") {
        Some(Source::Customer)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_then_nearest_folder() {
        assert_eq!(
            by_path("landing/customer/customer-1691348231425.json"),
            Some(Source::Customer)
        );
        assert_eq!(by_path("x/Step-Trainer/part1.json"), Some(Source::StepTrainer));
        assert_eq!(by_path("accelerometer/landing/a.json"), Some(Source::Accelerometer));
        assert_eq!(by_path("customer/accelerometer-1.json"), Some(Source::Accelerometer));
        assert_eq!(by_path("C:\\data\\customer\\x.json"), Some(Source::Customer));
        assert_eq!(by_path("upload/data.json"), None);
    }
}
