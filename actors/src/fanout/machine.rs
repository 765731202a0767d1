//! The fan-out's state: what has been asked for, which questions are answered, which lists
//! wait on an answer, which list kinds the plan refused. It applies [`RULES`] to each fact.

use super::list::{ListRequest, Org, Scope};
use super::rules::{Gate, Meaning, On, Question, RULES, meaning};
use crate::endpoint::Endpoint;
use crate::messages::Work;
use std::collections::{HashMap, HashSet};

/// What the rules make of a fact, a list at a time.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Read,
    Skip,
    Hold(Question),
}

/// The fan-out rules applied to a sync's facts, as they arrive: facts in, the lists they
/// unlock out, each list once.
#[derive(Debug, Default)]
pub(crate) struct FanOut {
    /// Every list returned so far: a server that repeats an id (in a page, or across pages)
    /// does not get the same list read twice.
    asked: HashSet<ListRequest>,
    answers: HashMap<Question, bool>,
    /// Lists waiting on an unanswered question, in the order their facts arrived.
    held: HashMap<Question, Vec<ListRequest>>,
    refused: HashSet<Endpoint>,
}

impl FanOut {
    /// The lists a sync starts with.
    pub(crate) fn start(&mut self) -> Vec<ListRequest> {
        let mut out = Vec::new();
        for rule in RULES.iter().filter(|r| r.on == On::Start) {
            self.ask(rule.read, Scope::Org(Org), &mut out);
        }
        out
    }

    /// The lists `work` unlocks: those its rules read now, and those held back on the question
    /// it answers. Never a list returned before.
    pub(crate) fn found(&mut self, work: Work) -> Vec<ListRequest> {
        let mut out = Vec::new();
        match meaning(&work) {
            Meaning::Answers { question, yes } => {
                let held = self.held.remove(&question).unwrap_or_default();
                self.answers.insert(question, yes);
                if yes {
                    for req in held {
                        self.emit(req, &mut out);
                    }
                }
            }
            Meaning::Names { on, scope } => {
                for rule in RULES.iter().filter(|r| r.on == on) {
                    match self.verdict(rule.gate, rule.read, &work, &scope) {
                        Verdict::Read => self.ask(rule.read, scope.clone(), &mut out),
                        Verdict::Skip => {}
                        Verdict::Hold(question) => {
                            let req = ListRequest {
                                list: rule.read,
                                scope: scope.clone(),
                            };
                            self.held.entry(question).or_default().push(req);
                        }
                    }
                }
            }
        }
        out
    }

    /// The plan refused a list of kind `list`: none is returned again. `true` the first time.
    pub(crate) fn refused(&mut self, list: Endpoint) -> bool {
        self.refused.insert(list)
    }

    fn verdict(&self, gate: Gate, list: Endpoint, work: &Work, scope: &Scope) -> Verdict {
        let answer = |question: Question| match self.answers.get(&question) {
            Some(true) => Verdict::Read,
            Some(false) => Verdict::Skip,
            None => Verdict::Hold(question),
        };
        match gate {
            Gate::Open => Verdict::Read,
            Gate::OrgHasCustomRoles => answer(Question::OrgHasCustomRoles),
            Gate::ProjectHasCustomRoles => match scope.project() {
                Some(p) => answer(Question::ProjectHasCustomRoles(p.clone())),
                // A row whose subject lies in no project: the table is wrong (its tests say
                // so); read nothing rather than guess.
                None => Verdict::Skip,
            },
            Gate::ProjectNotArchived => match work {
                Work::Project { archived: true, .. } => Verdict::Skip,
                _ => Verdict::Read,
            },
            Gate::NotRefusedByPlan if self.refused.contains(&list) => Verdict::Skip,
            Gate::NotRefusedByPlan => Verdict::Read,
        }
    }

    fn ask(&mut self, list: Endpoint, scope: Scope, out: &mut Vec<ListRequest>) {
        self.emit(ListRequest { list, scope }, out);
    }

    fn emit(&mut self, req: ListRequest, out: &mut Vec<ListRequest>) {
        if !self.asked.contains(&req) {
            self.asked.insert(req.clone());
            out.push(req);
        }
    }
}
