pub mod c1z;
