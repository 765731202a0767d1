mod c1z;
