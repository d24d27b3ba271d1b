//! Nothing here has code: trait default methods no type uses.

pub trait Describe {
    fn name(&self) -> String;

    fn describe(&self) -> String {
        format!("<{}>", self.name()) // cov: alpha describe
    }

    fn shout(&self) -> String {
        let d = self.describe();
        d.to_uppercase() // cov: alpha shout
    }
}
